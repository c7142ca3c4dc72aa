//! Commands that talk to a node: account, transfer, publish, call, view,
//! tx status, query. Local inputs (addresses, ids, JSON arguments, modules)
//! are checked before anything is sent; transactions go through
//! [`Ctx::transact`](crate::tx) (simulate, then submit).

use crate::keys;
use crate::module::{self, ValidModule};
use crate::output::Output;
use crate::rpc::RpcClient;
use crate::tx::{Transacted, TxArgs, finish};
use anyhow::{Context, Result, anyhow};
use molt_interface::Interface;
use molt_types::{Address, Digest, TransactionPayload};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Everything a chain command needs.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub rpc: RpcClient,
    pub home: PathBuf,
    pub out: &'a Output,
}

/// Parses an address given on the command line; `what` names the argument.
pub fn parse_address(s: &str, what: &str) -> Result<Address> {
    s.parse()
        .with_context(|| format!("{what} {s:?} is not an address"))
}

/// Parses a JSON argument list given with `flag`, before anything is sent.
pub fn parse_json_args(args_json: &str, flag: &str) -> Result<Value> {
    serde_json::from_str(args_json).with_context(|| {
        format!(
            "{flag} is not JSON: {args_json}; give an array in parameter order, e.g. '[1, \"0x1\"]', or an object by name"
        )
    })
}

impl Ctx<'_> {
    /// Encodes JSON arguments for `function` of `package` through its
    /// on-chain interface.
    pub fn encode_args(&self, package: &Address, function: &str, args: &Value) -> Result<Vec<u8>> {
        let (interface, _) = self.interface(package)?;
        let decl = interface.function(function).ok_or_else(|| {
            anyhow!(
                "package {package} has no function `{function}`; it has: {}",
                names(&interface)
            )
        })?;
        Ok(molt_interface::encode_args(&interface, decl, args)?)
    }

    /// The id of the chain the node runs (`Molt.lock` is keyed by it).
    pub fn chain_id(&self) -> Result<String> {
        let info = self.rpc.call("molt_chainInfo", json!([]))?;
        info["chain_id"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| anyhow!("the node reported no chain id: {info}"))
    }

    /// Records in `dir/Molt.lock` the latest version of `original_id` on
    /// this chain, as the node reports it.
    pub fn record_deployment(
        &self,
        dir: &Path,
        original_id: &Address,
        build: Option<&molt_build::BuildRecipe>,
    ) -> Result<crate::lockfile::Deployment> {
        let pkg = self.rpc.call("molt_getPackage", json!([original_id]))?;
        let latest = pkg["versions"]
            .as_array()
            .and_then(|v| v.last())
            .cloned()
            .ok_or_else(|| anyhow!("package {original_id} has no versions"))?;
        let chain = self.chain_id()?;
        let previous = crate::lockfile::read(dir, &chain)?;
        let deployment = crate::lockfile::Deployment {
            original_id: *original_id,
            package_id: serde_json::from_value(latest["package_id"].clone())?,
            version: latest["version"].as_u64().unwrap_or(0),
            checksum: latest["checksum"].as_str().unwrap_or_default().to_string(),
            upgrade_cap: if pkg["upgrade_cap"].is_null() {
                None
            } else {
                Some(serde_json::from_value(pkg["upgrade_cap"]["id"].clone())?)
            },
            build: match (build, previous) {
                (Some(b), _) => b.to_json(),
                (None, Some(p)) => p.build,
                (None, None) => Value::Null,
            },
        };
        crate::lockfile::write(dir, &chain, &deployment)?;
        Ok(deployment)
    }

    /// The latest interface of a package on chain.
    pub fn interface(&self, package: &Address) -> Result<(Interface, Value)> {
        let pkg = self.rpc.call("molt_getPackage", json!([package]))?;
        let interface: Interface = serde_json::from_value(pkg["requested"]["interface"].clone())
            .map_err(|e| anyhow!("the node returned an unreadable interface: {e}"))?;
        Ok((interface, pkg))
    }
}

pub fn account(ctx: &Ctx<'_>, who: &str) -> Result<()> {
    let address = keys::resolve_address(&ctx.home, who)?;
    let v = ctx.rpc.call("molt_getAccount", json!([address]))?;
    ctx.out.result(
        &format!(
            "address: {}\nbalance: {}\nsequence number: {}",
            address, v["balance"], v["sequence_number"]
        ),
        v,
    );
    Ok(())
}

pub fn transfer(ctx: &Ctx<'_>, to: &str, amount: u64, args: &TxArgs) -> Result<()> {
    let to = keys::resolve_address(&ctx.home, to)?;
    let what = format!("a transfer of {amount} to {to}");
    let done = ctx.transact(args, TransactionPayload::Transfer { to, amount }, &what)?;
    finish(ctx, done, &what, |_| {
        format!("transferred {amount} to {to}")
    })
}

pub fn publish(ctx: &Ctx<'_>, path: &Path, args: &TxArgs) -> Result<()> {
    let ValidModule {
        bytes,
        interface,
        recipe,
    } = module::load_valid(ctx, path)?;
    if path.is_dir()
        && let Some(d) = crate::lockfile::read(path, &ctx.chain_id()?)?
    {
        anyhow::bail!(
            "{} says this crate is already published on this chain as {}; upgrade it \
             with `molt upgrade {}`, or delete its entry to publish a new package",
            crate::lockfile::path_in(path).display(),
            d.original_id,
            path.display()
        );
    }
    let what = format!("publishing {} ({} bytes)", interface.name, bytes.len());
    let done = ctx.transact(args, TransactionPayload::Publish { module: bytes }, &what)?;
    let done = match done {
        Transacted::Submitted(mut v) => {
            let package = v["receipt"]["events"]
                .as_array()
                .and_then(|es| es.iter().find(|e| e["name"] == "PackagePublished"))
                .and_then(|e| e["emitter"].as_str())
                .map(String::from);
            if let Some(p) = package {
                // The first version's package id is the original id.
                v["original_id"] = json!(p);
                v["package_id"] = json!(p);
                if path.is_dir() {
                    let id: Address = parse_address(&p, "the published package")?;
                    ctx.record_deployment(path, &id, recipe.as_ref())?;
                    v["lock"] = json!(crate::lockfile::path_in(path));
                }
            }
            Transacted::Submitted(v)
        }
        simulated => simulated,
    };
    finish(ctx, done, &what, |v| {
        format!(
            "published {} as package {} (original id)",
            interface.name,
            v["original_id"].as_str().unwrap_or("?")
        )
    })
}

pub fn call(
    ctx: &Ctx<'_>,
    package: &str,
    function: &str,
    args_json: &str,
    args: &TxArgs,
) -> Result<()> {
    let package = parse_address(package, "package")?;
    let json_args = parse_json_args(args_json, "--args")?;
    let bytes = ctx.encode_args(&package, function, &json_args)?;
    let payload = TransactionPayload::Call {
        package,
        function: function.into(),
        args: bytes,
    };
    let what = format!("a call of {function} on {package}");
    let done = ctx.transact(args, payload, &what)?;
    finish(ctx, done, &what, |_| {
        format!("called {function} on {package}")
    })
}

fn names(i: &Interface) -> String {
    i.functions
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn view(ctx: &Ctx<'_>, package: &str, function: &str, args_json: &str) -> Result<()> {
    let package = parse_address(package, "package")?;
    let json_args = parse_json_args(args_json, "--args")?;
    let bytes = ctx.encode_args(&package, function, &json_args)?;
    let (interface, _) = ctx.interface(&package)?;
    let mut v = ctx.rpc.call(
        "molt_view",
        json!([package, function, format!("0x{}", hex::encode(bytes))]),
    )?;
    // Decoded here, through the interface the arguments were encoded with,
    // so that an absent optional (JSON null) is told from an undecodable result.
    let result = hex::decode(
        v["result"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("0x"),
    )
    .unwrap_or_default();
    let decoded = interface
        .function(function)
        .and_then(|f| molt_interface::decode_to_json(&interface, &f.returns, &result).ok());
    let shown = match decoded {
        Some(Value::Null) => "none".to_string(),
        Some(d) => {
            v["decoded"] = d.clone();
            d.to_string()
        }
        None => v["result"].to_string(),
    };
    ctx.out.result(&shown, v);
    Ok(())
}

pub fn tx_status(ctx: &Ctx<'_>, id: &str) -> Result<()> {
    let id: Digest = id.parse().with_context(|| {
        format!("{id:?} is not a transaction id (0x followed by 64 hex digits)")
    })?;
    let v = ctx.rpc.call("molt_getTransaction", json!([id]))?;
    let human = if v["status"] == "pending" {
        format!("transaction {id} is pending in the mempool")
    } else {
        let r = &v["receipt"];
        let status = if r["status"] == "success" {
            "success".to_string()
        } else {
            format!(
                "FAILED: {}",
                r["status"]["failure"]["message"]
                    .as_str()
                    .unwrap_or_default()
            )
        };
        format!(
            "transaction {id}\nblock: {}\nstatus: {status}\ngas used: {}\nevents: {}",
            r["height"],
            r["gas_used"],
            r["events"].as_array().map(|e| e.len()).unwrap_or(0)
        )
    };
    ctx.out.result(&human, v);
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
pub enum QueryCommand {
    /// A package: its versions, checksum, edition, owner and interface.
    Package {
        id: String,
        /// List every version.
        #[arg(long)]
        history: bool,
    },
    /// A block by height, or `latest`.
    Block {
        #[arg(default_value = "latest")]
        height: String,
    },
    /// A transaction and its receipt.
    Tx { id: String },
    /// A program storage value with its proof.
    Storage {
        package: String,
        /// The key within the program's namespace: UTF-8 text, or 0x hex.
        key: String,
    },
}

pub fn query(ctx: &Ctx<'_>, q: QueryCommand) -> Result<()> {
    match q {
        QueryCommand::Package { id, history } => {
            let id = parse_address(&id, "package")?;
            let v = ctx.rpc.call("molt_getPackage", json!([id]))?;
            let mut human = format!(
                "package {}\n",
                v["original_id"].as_str().unwrap_or_default()
            );
            let versions = v["versions"].as_array().cloned().unwrap_or_default();
            let shown: Vec<&Value> = if history {
                versions.iter().collect()
            } else {
                versions.last().into_iter().collect()
            };
            for p in shown {
                human.push_str(&format!(
                    "version {} (edition {}): package id {}\n  checksum {}\n  owner {} (submitted this version)  policy when created {}  block {}  tx {}\n",
                    p["version"], p["edition"], p["package_id"].as_str().unwrap_or_default(), p["checksum"].as_str().unwrap_or_default(),
                    p["owner"].as_str().unwrap_or_default(), p["policy"].as_str().unwrap_or_default(), p["height"], p["transaction"].as_str().unwrap_or_default()
                ));
            }
            let cap = &v["upgrade_cap"];
            if cap.is_null() {
                human.push_str("UpgradeCap: none (destroyed): the package is immutable\n");
            } else {
                human.push_str(&format!(
                    "UpgradeCap {} held by {}, policy {}\n",
                    cap["id"].as_str().unwrap_or_default(),
                    cap["owner"].as_str().unwrap_or_default(),
                    cap["policy"].as_str().unwrap_or_default()
                ));
            }
            if let Ok(i) = serde_json::from_value::<Interface>(v["requested"]["interface"].clone())
            {
                human.push_str(&i.render());
            }
            ctx.out.result(&human, v);
        }
        QueryCommand::Block { height } => {
            let param = if height == "latest" {
                json!("latest")
            } else {
                json!(height.parse::<u64>().with_context(|| format!(
                    "block {height:?} is not a height (0 to {}) or `latest`",
                    u64::MAX
                ))?)
            };
            let v = ctx.rpc.call("molt_getBlock", json!([param]))?;
            let human = format!(
                "block {}\nid: {}\nparent: {}\nstate root: {}\ntransactions: {}\nproposer: {}\ntime (ms): {}",
                v["height"],
                v["id"].as_str().unwrap_or_default(),
                v["parent"].as_str().unwrap_or_default(),
                v["state_root"].as_str().unwrap_or_default(),
                v["transactions"].as_array().map(|t| t.len()).unwrap_or(0),
                v["proposer"].as_str().unwrap_or_default(),
                v["timestamp_ms"]
            );
            ctx.out.result(&human, v);
        }
        QueryCommand::Tx { id } => tx_status(ctx, &id)?,
        QueryCommand::Storage { package, key } => {
            let package = parse_address(&package, "package")?;
            let key_bytes = match key.strip_prefix("0x") {
                Some(h) => hex::decode(h)
                    .context("a key starting with 0x must be hex (an even number of 0-9, a-f)")?,
                None => key.as_bytes().to_vec(),
            };
            let v = ctx.rpc.call(
                "molt_getStorage",
                json!([package, format!("0x{}", hex::encode(&key_bytes))]),
            )?;
            let human = format!(
                "value: {}\nat version {} with state root {}\nproof: {} bytes",
                v["value"].as_str().unwrap_or("(absent)"),
                v["version"],
                v["state_root"].as_str().unwrap_or_default(),
                v["proof"]
                    .as_str()
                    .map(|p| p.len().saturating_sub(2) / 2)
                    .unwrap_or(0)
            );
            ctx.out.result(&human, v);
        }
    }
    Ok(())
}
