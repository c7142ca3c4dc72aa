//! [`Request`]: one type per method, with its positional parameters.
//!
//! A client builds a request and sends [`Request::to_positional`]; the node
//! reads untrusted parameters with [`Request::from_positional`], which checks
//! each parameter's presence, JSON type and form and never panics. Optional
//! parameters may be left out or `null`; extra trailing parameters are
//! ignored.

use crate::error::ParamError;
use crate::method::Method;
use crate::results;
use molt_types::{Address, Digest};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A request of one method: its parameters, and the type of its result.
pub trait Request: Sized {
    /// The method this request calls.
    const METHOD: Method;
    /// What the method answers with.
    type Result: Serialize + DeserializeOwned;

    /// The parameters as the positional JSON array sent on the wire.
    fn to_positional(&self) -> Value;

    /// Reads the parameters of a request from a client (the JSON array's
    /// elements); a bad parameter is a [`ParamError`] naming it.
    fn from_positional(params: &[Value]) -> Result<Self, ParamError>;
}

/// A client's string as shown back in an error: at most 80 characters,
/// control characters escaped, in single quotes.
fn shown(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().take(80) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if s.chars().count() > 80 {
        out.push_str("...");
    }
    format!("'{out}'")
}

fn string<'a>(p: &'a [Value], i: usize, name: &str) -> Result<&'a str, ParamError> {
    p.get(i)
        .and_then(Value::as_str)
        .ok_or_else(|| ParamError(format!("parameter {i} ({name}) must be a string")))
}

fn address(p: &[Value], i: usize, name: &str) -> Result<Address, ParamError> {
    let s = string(p, i, name)?;
    s.parse()
        .map_err(|e| ParamError(format!("bad address {}: {e}", shown(s))))
}

fn digest(p: &[Value], i: usize, name: &str) -> Result<Digest, ParamError> {
    let s = string(p, i, name)?;
    s.parse()
        .map_err(|e| ParamError(format!("bad id {}: {e}", shown(s))))
}

fn hex_bytes(p: &[Value], i: usize, name: &str) -> Result<Vec<u8>, ParamError> {
    let s = string(p, i, name)?;
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| {
        ParamError(format!(
            "parameter {i} ({name}) must be 0x-prefixed hex with an even number of digits: {e}"
        ))
    })
}

fn absent(p: &[Value], i: usize) -> bool {
    matches!(p.get(i), None | Some(Value::Null))
}

fn opt_u64(p: &[Value], i: usize, name: &str) -> Result<Option<u64>, ParamError> {
    if absent(p, i) {
        return Ok(None);
    }
    p[i].as_u64().map(Some).ok_or_else(|| {
        ParamError(format!(
            "parameter {i} ({name}) must be a non-negative integer"
        ))
    })
}

fn opt_bool(p: &[Value], i: usize, name: &str) -> Result<Option<bool>, ParamError> {
    if absent(p, i) {
        return Ok(None);
    }
    p[i].as_bool()
        .map(Some)
        .ok_or_else(|| ParamError(format!("parameter {i} ({name}) must be true or false")))
}

fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// `molt_chainInfo`: no parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetChainInfo;

impl Request for GetChainInfo {
    const METHOD: Method = Method::ChainInfo;
    type Result = results::ChainInfo;
    fn to_positional(&self) -> Value {
        json!([])
    }
    fn from_positional(_: &[Value]) -> Result<Self, ParamError> {
        Ok(GetChainInfo)
    }
}

/// `molt_nodeStatus`: no parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetNodeStatus;

impl Request for GetNodeStatus {
    const METHOD: Method = Method::NodeStatus;
    type Result = results::NodeStatus;
    fn to_positional(&self) -> Value {
        json!([])
    }
    fn from_positional(_: &[Value]) -> Result<Self, ParamError> {
        Ok(GetNodeStatus)
    }
}

/// Which block: a height, or the latest committed one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BlockRef {
    #[default]
    Latest,
    Height(u64),
}

/// `molt_getBlock [block, full?]`: `block` is a height or `"latest"`
/// (default); `full` includes whole transactions instead of their ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GetBlock {
    pub block: BlockRef,
    pub full: bool,
}

impl Request for GetBlock {
    const METHOD: Method = Method::GetBlock;
    type Result = results::BlockView;
    fn to_positional(&self) -> Value {
        let block = match self.block {
            BlockRef::Latest => json!("latest"),
            BlockRef::Height(h) => json!(h),
        };
        json!([block, self.full])
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        let block = match p.first() {
            None | Some(Value::Null) => BlockRef::Latest,
            Some(Value::String(x)) if x == "latest" => BlockRef::Latest,
            Some(v) => BlockRef::Height(v.as_u64().ok_or_else(|| {
                ParamError(
                    "parameter 0 (block) must be a height (a non-negative integer) or \"latest\""
                        .into(),
                )
            })?),
        };
        Ok(GetBlock {
            block,
            full: opt_bool(p, 1, "full")?.unwrap_or(false),
        })
    }
}

/// `molt_getTransaction [id]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetTransaction {
    pub id: Digest,
}

impl Request for GetTransaction {
    const METHOD: Method = Method::GetTransaction;
    type Result = results::TransactionLookup;
    fn to_positional(&self) -> Value {
        json!([self.id])
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        Ok(GetTransaction {
            id: digest(p, 0, "id")?,
        })
    }
}

/// `molt_getAccount [address]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAccount {
    pub address: Address,
}

impl Request for GetAccount {
    const METHOD: Method = Method::GetAccount;
    type Result = results::AccountView;
    fn to_positional(&self) -> Value {
        json!([self.address])
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        Ok(GetAccount {
            address: address(p, 0, "address")?,
        })
    }
}

/// `molt_getPackage [id]`: an original id or a package id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetPackage {
    pub id: Address,
}

impl Request for GetPackage {
    const METHOD: Method = Method::GetPackage;
    type Result = results::PackageView;
    fn to_positional(&self) -> Value {
        json!([self.id])
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        Ok(GetPackage {
            id: address(p, 0, "id")?,
        })
    }
}

/// `molt_getModule [id]`: a package id, or an original id for the latest
/// version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetModule {
    pub id: Address,
}

impl Request for GetModule {
    const METHOD: Method = Method::GetModule;
    type Result = results::ModuleView;
    fn to_positional(&self) -> Value {
        json!([self.id])
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        Ok(GetModule {
            id: address(p, 0, "id")?,
        })
    }
}

/// `molt_getStorage [package, key, version?]`: `key` is hex, `version`
/// defaults to the latest height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetStorage {
    pub package: Address,
    pub key: Vec<u8>,
    pub version: Option<u64>,
}

impl Request for GetStorage {
    const METHOD: Method = Method::GetStorage;
    type Result = results::StorageView;
    fn to_positional(&self) -> Value {
        match self.version {
            Some(v) => json!([self.package, hex0x(&self.key), v]),
            None => json!([self.package, hex0x(&self.key)]),
        }
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        Ok(GetStorage {
            package: address(p, 0, "package")?,
            key: hex_bytes(p, 1, "key")?,
            version: opt_u64(p, 2, "version")?,
        })
    }
}

/// The gas a view may use when the request gives none (the chain's maximum
/// budget caps it).
pub const DEFAULT_VIEW_GAS: u64 = 50_000_000;

/// `molt_view [package, function, args?, gas?]`: `args` is the canonical
/// encoding of the arguments, in hex (default none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub package: Address,
    pub function: String,
    pub args: Vec<u8>,
    pub gas: Option<u64>,
}

impl View {
    /// The gas the view may use: the request's, or [`DEFAULT_VIEW_GAS`].
    pub fn gas_limit(&self) -> u64 {
        self.gas.unwrap_or(DEFAULT_VIEW_GAS)
    }
}

impl Request for View {
    const METHOD: Method = Method::View;
    type Result = results::ViewResult;
    fn to_positional(&self) -> Value {
        match self.gas {
            Some(g) => json!([self.package, self.function, hex0x(&self.args), g]),
            None => json!([self.package, self.function, hex0x(&self.args)]),
        }
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        Ok(View {
            package: address(p, 0, "package")?,
            function: string(p, 1, "function")?.to_string(),
            args: if absent(p, 2) {
                Vec::new()
            } else {
                hex_bytes(p, 2, "args")?
            },
            gas: opt_u64(p, 3, "gas")?,
        })
    }
}

/// `molt_submitTransaction [transaction]`: the canonical encoding of a
/// signed transaction, in hex. The node decodes it; bytes that are not a
/// signed transaction are refused with `Rejected`, not `InvalidParams`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitTransaction {
    pub transaction: Vec<u8>,
}

impl Request for SubmitTransaction {
    const METHOD: Method = Method::SubmitTransaction;
    type Result = Digest;
    fn to_positional(&self) -> Value {
        json!([hex0x(&self.transaction)])
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        Ok(SubmitTransaction {
            transaction: hex_bytes(p, 0, "transaction")?,
        })
    }
}

/// `molt_simulateTransaction [transaction]`, as [`SubmitTransaction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulateTransaction {
    pub transaction: Vec<u8>,
}

impl Request for SimulateTransaction {
    const METHOD: Method = Method::SimulateTransaction;
    type Result = results::SimulationView;
    fn to_positional(&self) -> Value {
        json!([hex0x(&self.transaction)])
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        Ok(SimulateTransaction {
            transaction: hex_bytes(p, 0, "transaction")?,
        })
    }
}

/// `molt_govSimulate [payload, proposal?]`: a governance payload's bytes
/// (`molt-payload`'s encoding, in hex) and optionally the id of the
/// proposal to resolve it as. Without an id it is simulated as a new
/// proposal; with one, as that proposal (which must approve the payload's
/// hash: the chain keeps only the hash, so the bytes are always needed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovSimulate {
    pub payload: Vec<u8>,
    pub proposal: Option<u64>,
}

impl Request for GovSimulate {
    const METHOD: Method = Method::GovSimulate;
    type Result = results::GovSimulationView;
    fn to_positional(&self) -> Value {
        match self.proposal {
            Some(id) => json!([hex0x(&self.payload), id]),
            None => json!([hex0x(&self.payload)]),
        }
    }
    fn from_positional(p: &[Value]) -> Result<Self, ParamError> {
        Ok(GovSimulate {
            payload: hex_bytes(p, 0, "payload")?,
            proposal: opt_u64(p, 1, "proposal")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<R: Request + PartialEq + std::fmt::Debug>(r: R) {
        let wire = r.to_positional();
        let back = R::from_positional(wire.as_array().unwrap()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn requests_read_back_what_they_write() {
        let a = Address::reserved(5);
        round_trip(GetBlock {
            block: BlockRef::Height(7),
            full: true,
        });
        round_trip(GetBlock::default());
        round_trip(GetAccount { address: a });
        round_trip(GetStorage {
            package: a,
            key: vec![0, 1, 0xff],
            version: Some(3),
        });
        round_trip(GetStorage {
            package: a,
            key: vec![],
            version: None,
        });
        round_trip(View {
            package: a,
            function: "get".into(),
            args: vec![9],
            gas: Some(10),
        });
        round_trip(SubmitTransaction {
            transaction: vec![1, 2, 3],
        });
        round_trip(GovSimulate {
            payload: vec![4, 5],
            proposal: Some(7),
        });
        round_trip(GovSimulate {
            payload: vec![],
            proposal: None,
        });
    }

    #[test]
    fn malformed_parameters_name_the_parameter_and_never_panic() {
        let cases: Vec<(Value, &str)> = vec![
            (json!([]), "parameter 0 (package) must be a string"),
            (json!(["0x12"]), "parameter 1 (key) must be a string"),
            (json!(["0x12", "0x0"]), "even number of digits"),
            (json!(["0x12", "0xzz"]), "parameter 1 (key)"),
            (json!(["0x1", "0x", -1]), "parameter 2 (version)"),
            (json!(["0x1", "0x", 1.5]), "parameter 2 (version)"),
            (
                json!([{"a": 1}, "0x"]),
                "parameter 0 (package) must be a string",
            ),
            (json!(["12345", "0x"]), "bad address '12345'"),
        ];
        for (params, says) in cases {
            let e = GetStorage::from_positional(params.as_array().unwrap()).unwrap_err();
            assert!(e.0.contains(says), "{params}: {e} should say {says}");
        }
        let long = format!("0x{}", "a".repeat(500));
        let e = GetTransaction::from_positional(&[json!(long)]).unwrap_err();
        assert!(e.0.len() < 200, "the client's text is cut: {e}");
        let e = GetTransaction::from_positional(&[json!("0x12")]).unwrap_err();
        assert!(e.0.starts_with("bad id '0x12'"), "{e}");
    }
}
