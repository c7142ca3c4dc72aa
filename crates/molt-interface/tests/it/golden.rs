//! The interface encoding is frozen: a change is a consensus change.
//! Regenerate on purpose with `MOLT_BLESS=1 cargo test -p molt-interface --test it golden`.

use std::path::PathBuf;

#[test]
fn golden_interface_encoding() {
    let actual = hex::encode(molt_interface::encode_section(&super::sample()));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/interface.hex");
    if std::env::var_os("MOLT_BLESS").is_some() {
        std::fs::write(&path, format!("{actual}\n")).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("fixture; run with MOLT_BLESS=1");
    assert_eq!(actual, expected.trim(), "interface encoding changed");
}
