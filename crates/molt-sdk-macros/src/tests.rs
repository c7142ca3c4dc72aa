//! Unit tests of the expansion: token streams in, interfaces and errors out.

use super::*;

fn ty(s: &str) -> Type {
    syn::parse_str(s).unwrap()
}

#[test]
fn maps_rust_types() {
    let declared: Declared = ["Point".to_string()].into_iter().collect();
    let map = |s: &str| type_ref(&ty(s), &declared);
    assert_eq!(map("Vec<u8>").unwrap(), TypeRef::Bytes);
    assert_eq!(
        map("alloc::vec::Vec<Point>").unwrap(),
        TypeRef::Vec(Box::new(TypeRef::Named("Point".into())))
    );
    assert_eq!(map("()").unwrap(), TypeRef::Unit);
    assert_eq!(
        map("(Option<String>, [Digest; 3])").unwrap(),
        TypeRef::Tuple(vec![
            TypeRef::Option(Box::new(TypeRef::String)),
            TypeRef::Array(Box::new(TypeRef::Digest), 3)
        ])
    );
    for bad in ["usize", "f64", "&str", "Other", "HashMap<u8, u8>"] {
        assert!(map(bad).is_err(), "{bad} must be rejected");
    }
    let msg = map("Other").unwrap_err().to_string();
    assert!(msg.contains("not declared in the program module"), "{msg}");
}

/// Frozen: changing the canonical text changes every custom
/// constructor's digest, which makes unchanged constructors look changed
/// to the compatibility check.
#[test]
fn canonical_text_is_frozen() {
    let f: TokenStream2 = quote! {
        fn constructor() -> Result<(), Error> {
            if a::b(x) >= 1 && !c { return Err(Error::X); }
            Ok(())
        }
    };
    let mut text = String::new();
    canonical_text(f, &mut text);
    assert_eq!(
        text,
        "fn constructor ( ) -> Result < ( ) , Error > { if a :: b ( x ) >= 1 && ! c { \
         return Err ( Error :: X ) ; } Ok ( ( ) ) } "
    );
}

/// Expands `module` under `#[molt_sdk::program(<attr>)]`.
fn expand_str(attr: &str, module: &str) -> syn::Result<TokenStream2> {
    expand(attr.parse().unwrap(), module.parse().unwrap())
}

/// The `molt:interface` bytes an expansion carries, read back from the
/// generated `__MOLT_INTERFACE_BYTES` constant.
fn section_bytes(expanded: TokenStream2) -> Vec<u8> {
    let module: syn::ItemMod = syn::parse2(expanded).unwrap();
    for item in module.content.unwrap().1 {
        if let Item::Const(c) = item
            && c.ident == "__MOLT_INTERFACE_BYTES"
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::ByteStr(b),
                ..
            }) = *c.expr
        {
            return b.value();
        }
    }
    panic!("no __MOLT_INTERFACE_BYTES in the expansion");
}

fn section_digest(attr: &str, module: &str) -> String {
    let bytes = section_bytes(expand_str(attr, module).unwrap());
    molt_types::sha3_256(&bytes).to_string()
}

/// A program with every kind of declaration and a custom constructor.
const GOLDEN_CUSTOM: &str = r#"
pub mod golden {
    use molt_sdk::prelude::*;

    #[derive(BorshSerialize, BorshDeserialize, Clone)]
    pub struct Position {
        pub owner: Address,
        pub amount: u128,
        #[borsh(skip)]
        pub cached: u64,
        pub tags: Vec<String>,
    }

    #[derive(BorshSerialize, BorshDeserialize)]
    pub enum Shape {
        Empty,
        Point(i32, i32),
        Named { label: String, size: Option<u64> },
    }

    #[event]
    pub struct Deposited {
        pub who: Address,
        pub amount: u128,
    }

    #[errors]
    pub enum Error {
        #[error(code = 1, message = "amount must be positive")]
        ZeroAmount,
        /// The caller is not the owner.
        #[error(code = 2)]
        NotOwner,
    }

    #[storage]
    static TOTAL: Item<u128>;
    #[storage(name = "pos")]
    static POSITIONS: Map<Address, Position>;
    #[storage]
    static GUARD: VersionGuard;

    #[init]
    fn init() {}

    /// Docs are not part of the digest.
    #[constructor(custom)]
    fn constructor() -> Result<(), Error> {
        let ctx = context();
        if ctx.edition > 0 && ctx.caller != ctx.owner {
            return Err(Error::NotOwner);
        }
        Ok(())
    }

    #[entry]
    fn deposit(amount: u128, tag: String) -> Result<u128, Error> { Ok(amount) }

    #[public]
    #[view]
    fn position(who: Address) -> Option<Position> { None }

    #[view]
    fn total() -> u128 { 0 }

    #[public]
    fn shapes(s: Shape, pair: (u8, bool), fixed: [u16; 4], raw: Vec<u8>) -> Vec<Shape> { vec![s] }

    #[internal]
    fn bump() {}

    fn helper(x: &str) -> usize { x.len() }
}
"#;

/// Frozen: the interface section is consensus data. A change here changes
/// the checksum of every module built from an unchanged program; make it
/// only on purpose, with a CHANGELOG entry.
#[test]
fn interface_section_is_frozen() {
    assert_eq!(
        section_digest(
            r#"name = "golden", dependency(name = "token", original_id = "0x2a", version = 3)"#,
            GOLDEN_CUSTOM
        ),
        "0x185f5c773d2d9cf6228b6356bd72d2ef624df17eb77991c2509661f5e19833eb"
    );
    let plain = "mod p { #[public] fn f() {} }";
    assert_eq!(
        section_digest("constructor(noupgrade)", plain),
        "0x2b0f6b9f11ac98c00de7ee8b1d09547c6d4c8a69a7b97e60c367b09b3de51a23"
    );
    assert_eq!(
        section_digest(r#"constructor(admin = "0xa1")"#, plain),
        "0x714171ddb4ccee003d0534f1b81f93319c958fe3ffb55e5872e4c5b0eea0a75d"
    );
    assert_eq!(
        section_digest(
            r#"constructor(checksum(program = "0x7e57", item = "approved", key = self))"#,
            plain
        ),
        "0x6692e0a63b36f2430a879d902adc3c4a7966e6270fdad88ce7ae4a0acb527c0f"
    );
    assert_eq!(
        section_digest(
            r#"constructor(checksum(program = "0x7e57", item = "approved", key_str = "v2"))"#,
            plain
        ),
        "0x06f88d044fe5801b77a7f92019e878a6bed7f3c10b806e2ce17c205c937ea7bd"
    );
}
