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

/// The interface an expansion carries, decoded as the node decodes it.
fn interface_of(attr: &str, module: &str) -> Interface {
    let bytes = section_bytes(expand_str(attr, module).unwrap());
    molt_interface::decode_section(&bytes).unwrap()
}

/// The compile error an expansion fails with: its message and the source
/// text it points at.
fn error_of(attr: &str, module: &str) -> (String, String) {
    let e = match expand_str(attr, module) {
        Ok(_) => panic!("expected a compile error for {module}"),
        Err(e) => e,
    };
    (e.to_string(), e.span().source_text().unwrap_or_default())
}

/// Asserts that `module` fails with a message containing `msg`, pointing
/// at exactly `at`.
#[track_caller]
fn assert_error(attr: &str, module: &str, msg: &str, at: &str) {
    let (message, text) = error_of(attr, module);
    assert!(
        message.contains(msg),
        "for {module}:\n  message {message:?}\n  lacks {msg:?}"
    );
    assert_eq!(text, at, "for {module}: the error points at the wrong text");
}

fn function_names(i: &Interface) -> Vec<&str> {
    i.functions.iter().map(|f| f.name.as_str()).collect()
}

/// The expanded module's item named `name` (a struct or a function).
fn expanded_attrs(attr: &str, module: &str, name: &str) -> Vec<Attribute> {
    let m: syn::ItemMod = syn::parse2(expand_str(attr, module).unwrap()).unwrap();
    m.content
        .unwrap()
        .1
        .into_iter()
        .find_map(|item| match item {
            Item::Struct(s) if s.ident == name => Some(s.attrs),
            Item::Enum(e) if e.ident == name => Some(e.attrs),
            Item::Fn(f) if f.sig.ident == name => Some(f.attrs),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no item {name} in the expansion"))
}

#[test]
fn markers_take_no_arguments() {
    for (attr, item) in [
        ("view(false)", "fn f() {}"),
        ("public(crate)", "fn f() {}"),
        ("entry = \"yes\"", "fn f() {}"),
        ("internal()", "fn f() {}"),
        ("init(once)", "fn f() {}"),
        ("event(name = \"E\")", "struct E { a: u8 }"),
        (
            "errors(u16)",
            "enum E { #[error(code = 1, message = \"m\")] A }",
        ),
    ] {
        let module = format!("mod p {{ #[{attr}] {item} }}");
        assert_error("", &module, "takes no arguments", attr);
    }
    // Without arguments they are read as before.
    let i = interface_of("", "mod p { #[view] fn f() -> u8 { 0 } }");
    assert!(i.functions[0].view);
}

#[test]
fn a_function_takes_only_constructor_custom() {
    let custom = interface_of("", "mod p { #[constructor(custom)] fn c() {} }");
    assert_eq!(
        custom.constructor.map(|c| c.policy),
        Some(ConstructorPolicy::Custom)
    );
    for (attr, at) in [
        ("constructor", "constructor"),
        ("constructor = \"custom\"", "constructor = \"custom\""),
        ("constructor(noupgrade)", "noupgrade"),
        ("constructor(custom = true)", "custom = true"),
        (
            "constructor(custom, noupgrade)",
            "constructor(custom, noupgrade)",
        ),
        ("constructor(\"custom\")", "constructor(\"custom\")"),
    ] {
        let module = format!("mod p {{ #[{attr}] fn c() {{}} }}");
        assert_error("", &module, "write #[constructor(custom)]", at);
    }
}

#[test]
fn a_constructor_may_return_a_result() {
    for ret in ["Result<(), Error>", "Result<(), ProgramError>"] {
        let module = format!("mod p {{ #[constructor(custom)] fn c() -> {ret} {{ Ok(()) }} }}");
        let i = interface_of("", &module);
        assert_eq!(
            i.constructor.map(|c| c.policy),
            Some(ConstructorPolicy::Custom)
        );
    }
    assert_error(
        "",
        "mod p { #[constructor(custom)] fn c() -> Result<()> { Ok(()) } }",
        "use `Result<T, E>` with E an #[errors] enum or `molt_sdk::ProgramError`",
        "Result<()>",
    );
    assert_error(
        "",
        "mod p { #[constructor(custom)] fn c() -> Result<u8, Error> { Ok(1) } }",
        "take no parameters and return () or Result<(), E>",
        "fn c() -> Result<u8, Error>",
    );
}

/// The interface's own checks (names, duplicates) point at the declaring
/// item, not at the module.
#[test]
fn invalid_declarations_are_reported_at_the_item() {
    assert_error(
        "",
        "mod p { #[storage] static A: Item<u8>; #[storage(name = \"a\")] static B: Item<u8>; }",
        "invalid program interface: storage item \"a\" is declared twice",
        "B",
    );
    assert_error(
        "",
        "mod p { #[storage(name = \"a-b\")] static C: Item<u8>; }",
        "name \"a-b\" is invalid",
        "C",
    );
    assert_error(
        "",
        "mod p { #[internal] #[view] fn peek() -> u8 { 0 } }",
        "internal functions cannot be views",
        "peek",
    );
}

#[test]
fn storage_takes_only_a_name() {
    let i = interface_of(
        "",
        r#"mod p {
            #[storage(name = "bal")] static BALANCES: Map<Address, u128>;
            #[storage] static TOTAL: Item<u128>;
        }"#,
    );
    let names: Vec<_> = i.storage.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["bal", "total"]);

    let item = |attrs: &str| format!("mod p {{ {attrs} static X: Item<u8>; }}");
    assert_error(
        "",
        &item(r#"#[storage = "x"]"#),
        "#[storage(name = \"..\")]",
        r#"storage = "x""#,
    );
    assert_error(
        "",
        &item(r#"#[storage(key = "x")]"#),
        "unknown #[storage] argument `key`: the only one is `name = \"..\"`",
        "key",
    );
    assert_error(
        "",
        &item(r#"#[storage(name = "a", name = "b")]"#),
        "duplicate `name`",
        "name",
    );
    assert_error("", &item("#[storage(name = 5)]"), "string literal", "5");
    assert_error(
        "",
        &item("#[storage] #[storage]"),
        "duplicate #[storage]",
        "#[storage]",
    );
    assert_error(
        "",
        &item("#[storage] #[view]"),
        "#[view] does not go on this item: it goes on a function",
        "#[view]",
    );
    assert_error(
        "",
        "mod p { #[storage] static mut X: Item<u8>; }",
        "#[storage] goes on `static NAME: Item<T>;`",
        "mut",
    );
}

#[test]
fn markers_on_the_wrong_item_are_errors() {
    for (item, msg, at) in [
        ("#[public] struct S;", "it goes on a function", "#[public]"),
        ("#[event] fn f() {}", "it goes on a struct", "#[event]"),
        ("#[errors] struct S;", "it goes on an enum", "#[errors]"),
        ("#[storage] fn f() {}", "it goes on a static", "#[storage]"),
        (
            "#[public] const X: u8 = 1;",
            "it goes on a function",
            "#[public]",
        ),
        ("#[entry] impl S {}", "it goes on a function", "#[entry]"),
        (
            "#[init] static X: u8 = 1;",
            "it goes on a function",
            "#[init]",
        ),
    ] {
        let module = format!("mod p {{ {item} }}");
        assert_error("", &module, msg, at);
    }
    assert_error(
        "",
        "mod p { #[public] #[view] #[view] fn f() {} }",
        "duplicate #[view]",
        "#[view]",
    );
}

#[test]
fn markers_are_read_by_path_not_by_text() {
    let module = r##"mod p {
        /// Not #[public]: a helper.
        fn helper_doc() {}
        #[doc = "#[entry]"]
        fn helper_doc_attr() {}
        #[inline]
        fn helper_inline() {}
        #[other::public]
        fn helper_other_crate() {}
        #[cfg_attr(any(), public)]
        fn helper_cfg_attr() {}

        /// Callable; #[view] in the doc does not make it a view.
        #[entry]
        fn real() -> String { String::from("#[view] #[init]") }

        #[errors]
        enum Error {
            /// Mentions code = 9 and #[error(code = 9)] in text.
            #[error(code = 3)]
            A,
        }
    }"##;
    let i = interface_of("", module);
    assert_eq!(function_names(&i), ["real"]);
    assert!(!i.functions[0].view);
    assert_eq!(i.functions[0].visibility, Visibility::Entry);
    assert!(!i.init);
    assert_eq!(
        i.error(3).map(|e| e.message.as_str()),
        Some("Mentions code = 9 and #[error(code = 9)] in text.")
    );
    // Attributes that are not markers are left for rustc.
    let kept = expanded_attrs("", module, "helper_other_crate");
    assert!(
        kept.iter()
            .any(|a| a == &syn::parse_quote!(#[other::public]))
    );

    // The SDK's path is a mistake worth naming: the markers are plain names.
    assert_error(
        "",
        "mod p { #[molt_sdk::public] fn f() {} }",
        "write #[public]",
        "molt_sdk::public",
    );
}

#[test]
fn borsh_attributes_are_read_by_key() {
    let module = r#"mod p {
        #[derive(BorshSerialize, BorshDeserialize)]
        #[borsh(init = crate_check)]
        pub struct Account {
            pub owner: Address,
            /// Not #[borsh(skip)]: kept.
            pub nonce: u64,
            #[borsh(skip)]
            pub cached: u64,
            pub balance: u64,
        }

        #[derive(BorshSerialize, BorshDeserialize)]
        #[borsh(crate = "my_borsh")]
        pub enum Kind { A, B { #[borsh(skip)] hint: u8, weight: u8 } }

        #[derive(BorshSerialize, BorshDeserialize)]
        #[borsh(use_discriminant = false)]
        pub enum Level { Low = 10, High = 20 }
    }"#;
    let i = interface_of("", module);
    let TypeKind::Struct { fields } = &i.type_def("Account").unwrap().kind else {
        panic!("Account is a struct");
    };
    let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["owner", "nonce", "balance"]);
    let TypeKind::Enum { variants } = &i.type_def("Kind").unwrap().kind else {
        panic!("Kind is an enum");
    };
    assert_eq!(variants[1].fields.len(), 1);

    let sdk_crate: Attribute = syn::parse_quote!(#[borsh(crate = "::molt_sdk::borsh")]);
    let account = expanded_attrs("", module, "Account");
    assert!(
        account.contains(&sdk_crate),
        "a borsh attribute without `crate` (though its text mentions it) still gets the SDK's"
    );
    assert!(expanded_attrs("", module, "Level").contains(&sdk_crate));
    let kind = expanded_attrs("", module, "Kind");
    assert!(
        !kind.contains(&sdk_crate),
        "the program's own `crate` stays"
    );

    // Encodings the interface cannot describe are errors, not fields
    // silently dropped (a `serialize_with` naming a `skip_..` function used
    // to be read as `skip`).
    let with = |attr: &str| {
        format!(
            "mod p {{ #[derive(BorshSerialize, BorshDeserialize)] pub struct S {{ {attr} pub a: u64 }} }}"
        )
    };
    assert_error(
        "",
        &with(r#"#[borsh(serialize_with = "skip_zero::ser")]"#),
        "`serialize_with` gives this field an encoding of its own",
        "serialize_with",
    );
    assert_error(
        "",
        &with(r#"#[borsh(deserialize_with = "skip_zero::de")]"#),
        "`deserialize_with` gives this field an encoding of its own",
        "deserialize_with",
    );
    assert_error(
        "",
        "mod p { #[derive(BorshSerialize)] #[borsh(use_discriminant = true)] enum E { A = 1 } }",
        "the interface identifies variants by position",
        "use_discriminant",
    );
    assert_error("", &with("#[borsh(skip = )]"), "expected", ")");
}

#[test]
fn error_codes_may_not_collide_with_the_sdk() {
    let errors = |variants: &str| format!("mod p {{ #[errors] enum Error {{ {variants} }} }}");
    for (code, msg) in [
        ("0", "error code 0 is the SDK's panic code"),
        (
            "1_000_001",
            "error code 1000001 is reserved by the SDK (SdkBadArguments)",
        ),
        (
            "1_000_020",
            "error code 1000020 is reserved by the SDK (SdkConstructorRejected)",
        ),
        (
            "1000007",
            "error codes from 1000000 up are reserved by the SDK",
        ),
        (
            "4_000_000_000",
            "error codes from 1000000 up are reserved by the SDK",
        ),
    ] {
        let module = errors(&format!("#[error(code = {code}, message = \"m\")] A"));
        assert_error("", &module, msg, code);
        assert_error("", &module, "program error codes are 1..1000000", code);
    }
    let i = interface_of("", &errors("#[error(code = 999_999, message = \"m\")] A"));
    assert_eq!(i.errors[0].code, 999_999);
    // The program's codes, then every reserved one.
    let sdk: Vec<_> = errors::sdk_errors().collect();
    assert_eq!(i.errors[1..], sdk[..]);

    assert_error(
        "",
        &errors(r#"#[error(code = 2, message = "a")] A, #[error(code = 2, message = "b")] B"#),
        "error code 2 is already used by `A`",
        "2",
    );
    assert_error(
        "",
        &errors(r#"#[error(code = 2, message = "a")] SdkPaused"#),
        "`SdkPaused` is the name of one of the SDK's errors",
        "SdkPaused",
    );
}

#[test]
fn error_attributes_take_code_and_message() {
    let errors = |variant: &str| format!("mod p {{ #[errors] enum Error {{ {variant} }} }}");
    assert_error(
        "",
        &errors(r#"#[error(code = 1, kind = "x")] A"#),
        "unknown #[error] argument `kind`: expected `code = N` or `message = \"..\"`",
        "kind",
    );
    assert_error(
        "",
        &errors(r#"#[error(code = 1, code = 2, message = "m")] A"#),
        "duplicate `code`",
        "code",
    );
    assert_error(
        "",
        &errors(r#"#[error(code = 1, message = "m")] #[error(code = 2)] A"#),
        "one #[error(..)] per variant",
        "#[error(code = 2)]",
    );
    assert_error(
        "",
        &errors(r#"#[error = "m"] A"#),
        "write #[error(code = N, message = \"..\")]",
        r#"#[error = "m"]"#,
    );
    assert_error(
        "",
        &errors(r#"#[error(message = "m")] A"#),
        "this variant has no code",
        r#"#[error(message = "m")] A"#,
    );
    assert_error(
        "",
        &errors(r#"#[error(code = "1", message = "m")] A"#),
        "expected integer literal",
        r#""1""#,
    );
}

#[test]
fn program_arguments_are_checked() {
    let m = "mod p { #[public] fn f() {} }";
    assert_error(
        "nam = \"x\"",
        m,
        "unknown argument `nam`: #[molt_sdk::program] takes name = \"..\"",
        "nam",
    );
    assert_error(r#"name = "a", name = "b""#, m, "duplicate `name`", "name");
    assert_error(r#"name("a")"#, m, "write name = \"..\"", r#"name("a")"#);
    let dep = |fields: &str| format!("dependency({fields})");
    assert_error(
        &dep(r#"name = "t", original_id = "0x2a""#),
        m,
        "dependency(..) is missing version",
        r#"dependency(name = "t", original_id = "0x2a")"#,
    );
    assert_error(
        &dep(r#"name = "t", original_id = "0x2a", version = 1, version = 2"#),
        m,
        "duplicate `version`",
        "version",
    );
    assert_error(
        &dep(r#"name = "t", id = "0x2a", version = 1"#),
        m,
        "unknown dependency field `id`: the fields are name, original_id and version",
        "id",
    );
    let token = dep(r#"name = "token", original_id = "0x2a", version = 1"#);
    assert_error(
        &format!("{token}, {token}"),
        m,
        "dependency `token` is declared twice",
        &token,
    );
    assert_error(
        "constructor(noupgrade), constructor(noupgrade)",
        m,
        "a program has at most one constructor",
        "constructor(noupgrade)",
    );
    assert_error(
        "constructor(custom)",
        m,
        "put #[constructor(custom)] on it",
        "custom",
    );
    assert_error(
        "constructor(upgradable)",
        m,
        "unknown constructor form: write constructor(noupgrade)",
        "upgradable",
    );
    let checksum = |fields: &str| format!("constructor(checksum({fields}))");
    assert_error(
        &checksum(r#"program = "0x7e57", item = "a", key = self, key_str = "b""#),
        m,
        "checksum(..) takes one key",
        "key_str",
    );
    assert_error(
        &checksum(r#"program = "0x7e57", item = "a", keys = self"#),
        m,
        "unknown checksum field `keys`: the fields are program = \"0x..\", item = \"..\" and one of key = self, key_hex",
        "keys",
    );
}

/// `import!` of a module carrying the interface of `program` (a program
/// module's source), written to a temporary file; returns the generated
/// module's items by name.
fn import_items(program: &str, args: &str) -> syn::Result<Vec<(String, String)>> {
    let iface = interface_of("", program);
    let module = molt_interface::embed_section(b"\0asm\x01\0\0\0", &iface);
    let dir = std::env::temp_dir().join(format!("molt-import-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // One file per call: tests run in parallel.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = format!("{}-{n}.wasm", iface.name);
    std::fs::write(dir.join(&file), module).unwrap();
    let input: TokenStream2 = format!("name = \"dep\", wasm = \"{file}\"{args}")
        .parse()
        .unwrap();
    let expanded = import::expand(input, Some(&dir))?;
    let m: syn::ItemMod = syn::parse2(expanded).unwrap();
    let mut out = Vec::new();
    for item in m.content.unwrap().1 {
        let name = match &item {
            Item::Struct(s) => s.ident.to_string(),
            Item::Enum(e) => e.ident.to_string(),
            Item::Fn(f) => f.sig.ident.to_string(),
            Item::Const(c) => c.ident.to_string(),
            Item::Impl(_) => "impl Client".into(),
            _ => continue,
        };
        let mut item = item;
        // Compare declarations, not doc text or derives.
        match &mut item {
            Item::Struct(s) => s.attrs.clear(),
            Item::Enum(e) => e.attrs.clear(),
            Item::Fn(f) => f.attrs.clear(),
            Item::Const(c) => c.attrs.clear(),
            Item::Impl(i) => i.items.iter_mut().for_each(|it| {
                if let syn::ImplItem::Fn(f) = it {
                    f.attrs.clear()
                }
            }),
            _ => {}
        }
        out.push((name, tokens_text(item.into_token_stream())));
    }
    Ok(out)
}

/// Token text without trailing commas (rustfmt adds them to the expected
/// code in these tests; they do not change what the code means).
fn tokens_text(ts: TokenStream2) -> String {
    ts.to_string()
        .replace(" , }", " }")
        .replace(" , )", " )")
        .replace(" ,)", ")")
}

const DEP: &str = "mod dep {
    #[derive(BorshSerialize, BorshDeserialize)]
    pub struct Pair(u8, u16);
    #[derive(BorshSerialize, BorshDeserialize)]
    pub enum Shape { Empty, Point(i32, i32), Named { label: String, size: Option<u64> } }
    #[public]
    fn place(s: Shape, pair: (u8, bool), fixed: [u16; 4]) -> Vec<Pair> { vec![] }
    #[public]
    #[view]
    fn one(x: u64) -> Option<Pair> { None }
    #[public]
    fn none() {}
    #[entry]
    fn poke() {}
}";

#[test]
fn an_import_declares_the_interface_types_in_order() {
    let items = import_items(DEP, ", address = \"0xc0\"").unwrap();
    let get = |n: &str| {
        items
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no {n} in {items:?}"))
    };
    assert_eq!(
        get("Pair"),
        tokens_text(quote!(
            pub struct Pair(pub u8, pub u16);
        ))
    );
    assert_eq!(
        get("Shape"),
        tokens_text(quote!(
            pub enum Shape {
                Empty,
                Point(i32, i32),
                Named {
                    label: ::molt_sdk::prelude::String,
                    size: ::core::option::Option<u64>,
                },
            }
        ))
    );
}

#[test]
fn an_import_calls_public_functions_as_an_untyped_call_would() {
    let items = import_items(DEP, ", address = \"0xc0\"").unwrap();
    let get = |n: &str| {
        items
            .iter()
            .find(|(name, _)| name == n)
            .map(|(_, t)| t.clone())
    };
    assert_eq!(
        get("place").unwrap(),
        tokens_text(quote!(
            pub fn place(
                s: Shape,
                pair: (u8, bool),
                fixed: [u16; 4],
            ) -> ::molt_sdk::prelude::Vec<Pair> {
                ::molt_sdk::call(&ADDRESS, "place", &(s, pair, fixed))
            }
        ))
    );
    assert_eq!(
        get("one").unwrap(),
        tokens_text(quote!(
            pub fn one(x: u64) -> ::core::option::Option<Pair> {
                ::molt_sdk::call(&ADDRESS, "one", &x)
            }
        ))
    );
    assert_eq!(
        get("none").unwrap(),
        tokens_text(quote!(
            pub fn none() -> () {
                ::molt_sdk::call(&ADDRESS, "none", &())
            }
        ))
    );
    assert_eq!(
        get("poke"),
        None,
        "entry functions are not callable by programs"
    );
    assert!(get("impl Client").unwrap().contains("pub fn place (& self"));
    assert!(get("ADDRESS").is_some());
}

#[test]
fn an_import_without_an_address_has_only_the_client() {
    let items = import_items(DEP, "").unwrap();
    let names: Vec<&str> = items.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        !names.contains(&"ADDRESS") && !names.contains(&"place"),
        "{names:?}"
    );
    assert!(names.contains(&"impl Client"), "{names:?}");
}

#[test]
fn a_dependency_without_an_original_id_says_how_to_get_one() {
    // No test sets MOLT_DEP_NAMELESS.
    assert_error(
        r#"dependency(name = "nameless", version = 1)"#,
        "mod p {}",
        "dependency `nameless` has no original_id: give `original_id = \"0x..\"`, or declare it in Cargo.toml",
        r#"dependency(name = "nameless", version = 1)"#,
    );
}

#[test]
fn import_arguments_are_checked() {
    for (args, msg) in [
        (
            "name = \"dep\"",
            "import `dep` has no module: give `wasm = ",
        ),
        ("wasm = \"x.wasm\"", "missing `name`"),
        (
            "name = \"dep\", wasm = \"x\", wasm = \"y\"",
            "`wasm` is given twice",
        ),
        (
            "name = \"dep\", wasm = \"x\", adress = \"0x1\"",
            "unknown import argument",
        ),
        ("name = \"my-dep\", wasm = \"x\"", "a Rust identifier"),
    ] {
        let e = import::expand(args.parse().unwrap(), None).unwrap_err();
        assert!(e.to_string().contains(msg), "{args}: {e}");
    }
    let e = import_items(DEP, ", address = \"0xzz\"").unwrap_err();
    assert!(e.to_string().contains("invalid address \"0xzz\""), "{e}");
}
