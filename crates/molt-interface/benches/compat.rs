//! How long `check_upgrade` takes on a large interface (500 functions, 200
//! types): identical, compatible (additions only), and incompatible in 50
//! places. Prints the median of many runs.
//!
//! `cargo bench -p molt-interface --bench compat`
#![allow(clippy::float_arithmetic)] // timing arithmetic, not state logic

use molt_interface::*;
use std::hint::black_box;
use std::time::{Duration, Instant};

const FUNCTIONS: usize = 500;
const TYPES: usize = 200;
const RUNS: usize = 301;

fn field(name: String, ty: TypeRef) -> Field {
    Field { name, ty }
}

fn large() -> Interface {
    let mut i = Interface::new("large");
    let primitive = [
        TypeRef::U64,
        TypeRef::Address,
        TypeRef::String,
        TypeRef::Bool,
    ];
    for t in 0..TYPES {
        let kind = if t % 4 == 3 {
            TypeKind::Enum {
                variants: (0..4)
                    .map(|v| Variant {
                        name: format!("V{v}"),
                        fields: vec![field("0".into(), primitive[v % 4].clone())],
                    })
                    .collect(),
            }
        } else {
            TypeKind::Struct {
                fields: (0..6)
                    .map(|f| field(format!("f{f}"), primitive[(t + f) % 4].clone()))
                    .collect(),
            }
        };
        i.types.push(TypeDef {
            name: format!("T{t}"),
            kind,
        });
    }
    for s in 0..40 {
        i.storage.push(StorageDecl {
            name: format!("s{s}"),
            kind: StorageKind::Map {
                key: TypeRef::Address,
                value: TypeRef::Named(format!("T{}", s * 4)),
            },
        });
    }
    for f in 0..FUNCTIONS {
        i.functions.push(FunctionDecl {
            name: format!("fn_{f}"),
            visibility: if f % 3 == 0 {
                Visibility::Entry
            } else {
                Visibility::Public
            },
            view: f % 5 == 0,
            params: (0..3)
                .map(|p| Param {
                    name: format!("p{p}"),
                    ty: if p == 0 {
                        TypeRef::Named(format!("T{}", f % TYPES))
                    } else {
                        TypeRef::Vec(Box::new(primitive[p % 4].clone()))
                    },
                })
                .collect(),
            returns: TypeRef::Option(Box::new(TypeRef::U64)),
        });
    }
    for e in 0..50 {
        i.events.push(EventDecl {
            name: format!("E{e}"),
            ty: TypeRef::Named(format!("T{e}")),
        });
        i.errors.push(ErrorDecl {
            code: e,
            name: format!("Err{e}"),
            message: format!("error number {e}"),
        });
    }
    i
}

fn additions(mut i: Interface) -> Interface {
    for f in 0..50 {
        i.functions.push(FunctionDecl {
            name: format!("new_fn_{f}"),
            visibility: Visibility::Public,
            view: false,
            params: vec![],
            returns: TypeRef::Unit,
        });
    }
    for t in 0..20 {
        i.types.push(TypeDef {
            name: format!("New{t}"),
            kind: TypeKind::Struct { fields: vec![] },
        });
    }
    for t in i.types.iter_mut() {
        if let TypeKind::Enum { variants } = &mut t.kind {
            variants.push(Variant {
                name: "Appended".into(),
                fields: vec![],
            });
        }
    }
    i
}

/// 25 public signatures and 25 structs broken.
fn breakages(mut i: Interface) -> Interface {
    let mut broken = 0;
    for f in i.functions.iter_mut() {
        if f.visibility == Visibility::Public && broken < 25 {
            f.params[1].ty = TypeRef::U8;
            broken += 1;
        }
    }
    for t in i.types.iter_mut() {
        if let TypeKind::Struct { fields } = &mut t.kind
            && broken < 50
        {
            fields[0].name = "renamed".into();
            broken += 1;
        }
    }
    i
}

fn median(
    old: &Interface,
    module: &[u8],
    new: &Interface,
    policy: UpgradePolicy,
) -> (Duration, usize) {
    let mut times = Vec::with_capacity(RUNS);
    let mut violations = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let report = check_upgrade(
            black_box(old),
            black_box(module),
            black_box(new),
            black_box(module),
            policy,
        );
        times.push(start.elapsed());
        violations = report.violations.len();
    }
    times.sort();
    (times[RUNS / 2], violations)
}

fn main() {
    let old = large();
    let module = embed_section(&[0, b'a', b's', b'm', 1, 0, 0, 0], &old);
    let cases = [
        ("identical", old.clone(), UpgradePolicy::Compatible, 0),
        (
            "identical, dep_only (with module comparison)",
            old.clone(),
            UpgradePolicy::DepOnly,
            0,
        ),
        (
            "compatible (additions only)",
            additions(old.clone()),
            UpgradePolicy::Compatible,
            0,
        ),
        (
            "incompatible in 50 places",
            breakages(old.clone()),
            UpgradePolicy::Compatible,
            50,
        ),
    ];
    println!("check_upgrade on {FUNCTIONS} functions and {TYPES} types, median of {RUNS} runs:");
    for (name, new, policy, expected) in cases {
        let (time, violations) = median(&old, &module, &new, policy);
        assert_eq!(violations, expected, "{name}");
        println!(
            "  {name:<46} {:>9.1} µs  ({violations} violations)",
            time.as_secs_f64() * 1e6
        );
    }
}
