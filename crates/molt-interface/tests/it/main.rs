//! molt-interface integration tests.

mod compat;
mod exports;
mod golden;
mod properties;
mod validation;

use molt_interface::*;
use molt_types::Address;

/// A representative interface touching every part of the model.
pub fn sample() -> Interface {
    let mut i = Interface::new("counter");
    i.types.push(TypeDef {
        name: "State".into(),
        kind: TypeKind::Struct {
            fields: vec![
                Field {
                    name: "count".into(),
                    ty: TypeRef::U64,
                },
                Field {
                    name: "owner".into(),
                    ty: TypeRef::Address,
                },
            ],
        },
    });
    i.types.push(TypeDef {
        name: "Mode".into(),
        kind: TypeKind::Enum {
            variants: vec![
                Variant {
                    name: "Open".into(),
                    fields: vec![],
                },
                Variant {
                    name: "Limited".into(),
                    fields: vec![Field {
                        name: "0".into(),
                        ty: TypeRef::U32,
                    }],
                },
            ],
        },
    });
    i.storage.push(StorageDecl {
        name: "state".into(),
        kind: StorageKind::Singleton {
            value: TypeRef::Named("State".into()),
        },
    });
    i.storage.push(StorageDecl {
        name: "by_user".into(),
        kind: StorageKind::Map {
            key: TypeRef::Address,
            value: TypeRef::U64,
        },
    });
    i.functions.push(FunctionDecl {
        name: "increment".into(),
        visibility: Visibility::Entry,
        view: false,
        params: vec![],
        returns: TypeRef::Unit,
    });
    i.functions.push(FunctionDecl {
        name: "add".into(),
        visibility: Visibility::Public,
        view: false,
        params: vec![Param {
            name: "n".into(),
            ty: TypeRef::U64,
        }],
        returns: TypeRef::U64,
    });
    i.functions.push(FunctionDecl {
        name: "get".into(),
        visibility: Visibility::Public,
        view: true,
        params: vec![],
        returns: TypeRef::Option(Box::new(TypeRef::Vec(Box::new(TypeRef::Tuple(vec![
            TypeRef::U8,
            TypeRef::Named("Mode".into()),
        ]))))),
    });
    i.events.push(EventDecl {
        name: "Incremented".into(),
        ty: TypeRef::Named("State".into()),
    });
    i.errors.push(ErrorDecl {
        code: 1,
        name: "NotOwner".into(),
        message: "only the owner".into(),
    });
    i.constructor = Some(ConstructorDecl {
        policy: ConstructorPolicy::Admin(Address::reserved(0xa)),
        code_digest: molt_types::sha3_256(b"admin(0xa)"),
    });
    i.init = true;
    i.dependencies.push(Dependency {
        name: "token".into(),
        original_id: Address::reserved(0x77),
        version: 3,
    });
    i
}
