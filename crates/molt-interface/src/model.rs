//! The interface model. Its canonical encoding is frozen by golden fixtures;
//! enums append variants, never reorder them.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use borsh::{BorshDeserialize, BorshSerialize};
use molt_types::{Address, Digest};

/// Name of the Wasm custom section that carries the interface.
pub const SECTION_NAME: &str = "molt:interface";
/// The interface format this crate writes and reads.
pub const FORMAT_VERSION: u16 = 1;

/// How deeply type references may nest (`Option<Vec<(u8, Named)>>` is 3).
pub const MAX_TYPE_DEPTH: usize = 16;

/// Export name prefix of a declared function: `molt:fn:<name>`.
pub const FUNCTION_EXPORT_PREFIX: &str = "molt:fn:";
/// Export name of the constructor.
pub const CONSTRUCTOR_EXPORT: &str = "molt:constructor";
/// Export name of `init`.
pub const INIT_EXPORT: &str = "molt:init";
/// Export the host calls to allocate guest memory for arguments: `(len: i32) -> i32`.
pub const ALLOC_EXPORT: &str = "molt_alloc";
/// The module's linear memory.
pub const MEMORY_EXPORT: &str = "memory";

/// A program's whole interface.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct Interface {
    /// [`FORMAT_VERSION`] of the encoding.
    pub format_version: u16,
    /// The program's name (its crate name), for people; not an identity.
    pub name: String,
    pub types: Vec<TypeDef>,
    pub storage: Vec<StorageDecl>,
    pub functions: Vec<FunctionDecl>,
    pub events: Vec<EventDecl>,
    pub errors: Vec<ErrorDecl>,
    pub constructor: Option<ConstructorDecl>,
    /// Whether the module exports `molt:init`, run once at first publish.
    pub init: bool,
    pub dependencies: Vec<Dependency>,
}

/// A reference to a type in a signature, field or storage declaration.
///
/// Decoding is depth-limited to [`MAX_TYPE_DEPTH`] levels of nesting so that a
/// hostile interface cannot exhaust the decoder's stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, BorshSerialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub enum TypeRef {
    Unit,
    Bool,
    U8,
    U16,
    U32,
    U64,
    U128,
    I8,
    I16,
    I32,
    I64,
    I128,
    String,
    /// `Vec<u8>`, shown as hex in JSON.
    Bytes,
    Address,
    Digest,
    Option(Box<TypeRef>),
    Vec(Box<TypeRef>),
    Tuple(Vec<TypeRef>),
    /// A fixed-size array `[T; N]`.
    Array(Box<TypeRef>, u32),
    /// A type declared in this interface's `types`.
    Named(String),
}

/// A named struct or enum.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct TypeDef {
    pub name: String,
    pub kind: TypeKind,
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub enum TypeKind {
    /// Fields in declaration order (the order is part of the encoding).
    Struct { fields: Vec<Field> },
    /// Variants in declaration order (the index is the encoding's tag).
    Enum { variants: Vec<Variant> },
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct Field {
    pub name: String,
    pub ty: TypeRef,
}

/// An enum variant; a unit variant has no fields. Tuple variants name their
/// fields `0`, `1`, ...
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct Variant {
    pub name: String,
    pub fields: Vec<Field>,
}

/// A declared storage item.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct StorageDecl {
    pub name: String,
    pub kind: StorageKind,
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub enum StorageKind {
    /// One value, stored under the key `<name>`.
    Singleton { value: TypeRef },
    /// Values stored under `<name>/` followed by the encoded key.
    Map { key: TypeRef, value: TypeRef },
}

/// Who may call a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub enum Visibility {
    /// Callable by transactions and by other programs; its signature is
    /// frozen under the `compatible` policy.
    Public,
    /// Callable by transactions only; may change under `compatible`.
    Entry,
    /// Not callable from outside; listed so `additive` can freeze it.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct FunctionDecl {
    pub name: String,
    pub visibility: Visibility,
    /// Read-only: may not write storage or emit events.
    pub view: bool,
    pub params: Vec<Param>,
    /// [`TypeRef::Unit`] when the function returns nothing.
    pub returns: TypeRef,
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct Param {
    pub name: String,
    pub ty: TypeRef,
}

/// An event the program may emit: its name and the type of its data.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct EventDecl {
    pub name: String,
    pub ty: TypeRef,
}

/// A custom error a program may abort with.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct ErrorDecl {
    pub code: u32,
    pub name: String,
    pub message: String,
}

/// The package's constructor (Aleo): runs at publish and at every upgrade and
/// can never change.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct ConstructorDecl {
    pub policy: ConstructorPolicy,
    /// SHA3-256 of the constructor's source as the SDK macro saw it (for the
    /// built-in forms, of the form and its arguments). Two versions with the
    /// same digest have the same constructor.
    pub code_digest: Digest,
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "std", serde(rename_all = "snake_case"))]
pub enum ConstructorPolicy {
    /// Publishing succeeds; every upgrade is rejected.
    NoUpgrade,
    /// Only this address may upgrade.
    Admin(Address),
    /// The new checksum must equal the value another program stores under
    /// `item` and `key` (for example an approved-checksum vote).
    Checksum {
        program: Address,
        item: String,
        key: Vec<u8>,
    },
    /// The program's own constructor code decides.
    Custom,
}

/// A package this one links to, pinned to one exact version.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
#[cfg_attr(feature = "std", derive(serde::Serialize, serde::Deserialize))]
pub struct Dependency {
    pub name: String,
    pub original_id: Address,
    pub version: u64,
}

impl Interface {
    /// An empty interface named `name`, for builders and tests.
    pub fn new(name: impl Into<String>) -> Self {
        Interface {
            format_version: FORMAT_VERSION,
            name: name.into(),
            types: Vec::new(),
            storage: Vec::new(),
            functions: Vec::new(),
            events: Vec::new(),
            errors: Vec::new(),
            constructor: None,
            init: false,
            dependencies: Vec::new(),
        }
    }

    pub fn function(&self, name: &str) -> Option<&FunctionDecl> {
        self.functions.iter().find(|f| f.name == name)
    }

    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    pub fn storage_item(&self, name: &str) -> Option<&StorageDecl> {
        self.storage.iter().find(|s| s.name == name)
    }

    pub fn error(&self, code: u32) -> Option<&ErrorDecl> {
        self.errors.iter().find(|e| e.code == code)
    }
}

impl BorshDeserialize for TypeRef {
    fn deserialize_reader<R: borsh::io::Read>(reader: &mut R) -> borsh::io::Result<Self> {
        read_type_ref(reader, 0)
    }
}

fn read_type_ref<R: borsh::io::Read>(reader: &mut R, depth: usize) -> borsh::io::Result<TypeRef> {
    use borsh::io::{Error, ErrorKind};
    if depth > MAX_TYPE_DEPTH {
        return Err(Error::new(
            ErrorKind::InvalidData,
            "type reference nested deeper than MAX_TYPE_DEPTH",
        ));
    }
    let tag = u8::deserialize_reader(reader)?;
    Ok(match tag {
        0 => TypeRef::Unit,
        1 => TypeRef::Bool,
        2 => TypeRef::U8,
        3 => TypeRef::U16,
        4 => TypeRef::U32,
        5 => TypeRef::U64,
        6 => TypeRef::U128,
        7 => TypeRef::I8,
        8 => TypeRef::I16,
        9 => TypeRef::I32,
        10 => TypeRef::I64,
        11 => TypeRef::I128,
        12 => TypeRef::String,
        13 => TypeRef::Bytes,
        14 => TypeRef::Address,
        15 => TypeRef::Digest,
        16 => TypeRef::Option(Box::new(read_type_ref(reader, depth + 1)?)),
        17 => TypeRef::Vec(Box::new(read_type_ref(reader, depth + 1)?)),
        18 => {
            let len = u32::deserialize_reader(reader)? as usize;
            // Each element takes at least one byte, so the reader runs dry long
            // before a lying length matters; never pre-allocate from it.
            let mut items = Vec::new();
            for _ in 0..len {
                items.push(read_type_ref(reader, depth + 1)?);
            }
            TypeRef::Tuple(items)
        }
        19 => {
            let inner = read_type_ref(reader, depth + 1)?;
            TypeRef::Array(Box::new(inner), u32::deserialize_reader(reader)?)
        }
        20 => TypeRef::Named(String::deserialize_reader(reader)?),
        other => {
            return Err(Error::new(
                ErrorKind::InvalidData,
                alloc::format!("unknown type reference tag {other}"),
            ));
        }
    })
}
