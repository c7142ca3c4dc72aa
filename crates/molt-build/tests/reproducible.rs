//! The same source gives the same module bytes wherever the crate lives and
//! whatever it is called.

use molt_build::{build_program, build_program_into, detect_route, programs_dir};
use std::path::Path;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_copy_under_another_name_in_another_directory_builds_to_the_same_bytes() {
    let route = detect_route().unwrap();
    let programs = programs_dir().canonicalize().unwrap();
    let original = build_program(&programs.join("counter_v1"), &route).unwrap();

    // A crate of its own (not a workspace member), in a directory with
    // another name and a space, under another package name, with the same
    // Cargo.lock.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("somewhere else").join("my_counter");
    copy_dir(&programs.join("counter_v1/src"), &copy.join("src"));
    std::fs::copy(programs.join("Cargo.lock"), copy.join("Cargo.lock")).unwrap();
    let sdk = programs.join("../crates/molt-sdk").canonicalize().unwrap();
    std::fs::write(
        copy.join("Cargo.toml"),
        format!(
            "[package]\nname = \"my-renamed-counter\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n\
             [dependencies]\nmolt-sdk = {{ path = {:?} }}\n\n[workspace]\n",
            sdk.display().to_string()
        ),
    )
    .unwrap();
    let copied = build_program_into(&copy, &route, Some(&programs.join("target"))).unwrap();

    assert_eq!(copied.package, "my-renamed-counter");
    assert_ne!(copied.path, original.path);
    assert!(
        copied.bytes == original.bytes,
        "the copy built to other bytes ({} vs {} bytes)",
        copied.bytes.len(),
        original.bytes.len()
    );
    assert_eq!(copied.recipe, original.recipe);
    assert_eq!(original.recipe.sdk.as_deref(), Some("0.1.0"));
}

#[test]
fn the_module_names_no_path_of_this_machine() {
    let bytes = molt_build::example("token").unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let root = programs_dir().canonicalize().unwrap();
    let root = root.parent().unwrap().to_str().unwrap();
    assert!(!text.contains(root), "the module contains {root}");
    let home = std::env::var("HOME").unwrap_or_default();
    if home.len() > 1 {
        assert!(
            !text.contains(&format!("{home}/")),
            "the module contains {home}"
        );
    }
}

#[test]
fn two_crates_with_one_library_name_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nresolver = \"3\"\nmembers = [\"a\", \"b\"]\n",
    )
    .unwrap();
    for dir in ["a", "b"] {
        std::fs::create_dir_all(root.join(dir).join("src")).unwrap();
        std::fs::write(root.join(dir).join("src/lib.rs"), "").unwrap();
        std::fs::write(
            root.join(dir).join("Cargo.toml"),
            format!(
                "[package]\nname = \"{dir}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                 [lib]\nname = \"counter\"\ncrate-type = [\"cdylib\"]\n"
            ),
        )
        .unwrap();
    }
    let route = detect_route().unwrap();
    let err = build_program(&root.join("b"), &route)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("library is named `counter`") && err.contains("a (") && err.contains("b ("),
        "{err}"
    );
}

/// Copies the parts of this repository a program build reads (the root
/// manifest and lock, `crates/`, `programs/`), without build outputs.
fn copy_checkout(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for file in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(from.join(file), to.join(file)).unwrap();
    }
    for dir in ["crates", "programs"] {
        copy_tree(&from.join(dir), &to.join(dir));
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn two_checkouts_in_different_directories_build_a_program_to_the_same_bytes() {
    // Cargo hashes a path dependency outside the built workspace (here
    // `crates/molt-sdk`) by its absolute path; the stage gives every local
    // dependency a place inside it, so a clone anywhere builds the bytes
    // the committed release holds (the framework is built the same way).
    let route = detect_route().unwrap();
    let repo = programs_dir()
        .canonicalize()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let original = build_program(&repo.join("programs/counter_v1"), &route).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("another clone");
    copy_checkout(&repo, &clone);
    // Its own target directory would rebuild the standard library; one
    // shared target keeps the test short and changes nothing in the hash.
    let copied = build_program_into(
        &clone.join("programs/counter_v1"),
        &route,
        Some(&repo.join("programs/target")),
    )
    .unwrap();
    assert!(
        copied.bytes == original.bytes,
        "a clone in another directory built other bytes ({} vs {} bytes)",
        copied.bytes.len(),
        original.bytes.len()
    );
}
