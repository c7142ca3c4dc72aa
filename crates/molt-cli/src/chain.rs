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
use molt_rpc_types::{
    BlockRef, GetAccount, GetBlock, GetChainInfo, GetPackage, GetStorage, GetTransaction,
    PackageView, TransactionLookup, View,
};
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
        Ok(self.rpc.request(&GetChainInfo)?.chain_id.to_string())
    }

    /// Records in `dir/Molt.lock` the latest version of `original_id` on
    /// this chain, as the node reports it.
    pub fn record_deployment(
        &self,
        dir: &Path,
        original_id: &Address,
        build: Option<&molt_build::BuildRecipe>,
    ) -> Result<crate::lockfile::Deployment> {
        let pkg = self.rpc.request(&GetPackage { id: *original_id })?;
        let latest = pkg
            .latest_version()
            .ok_or_else(|| anyhow!("package {original_id} has no versions"))?;
        let chain = self.chain_id()?;
        let previous = crate::lockfile::read(dir, &chain)?;
        let deployment = crate::lockfile::Deployment {
            original_id: *original_id,
            package_id: latest.package_id,
            version: latest.version,
            checksum: latest.checksum.to_string(),
            upgrade_cap: pkg.upgrade_cap.as_ref().map(|c| c.id),
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
    pub fn interface(&self, package: &Address) -> Result<(Interface, PackageView)> {
        let pkg = self.rpc.request(&GetPackage { id: *package })?;
        let interface = pkg
            .requested
            .as_ref()
            .map(|v| v.interface.clone())
            .ok_or_else(|| anyhow!("the node reported package {package} without versions"))?;
        Ok((interface, pkg))
    }
}

pub fn account(ctx: &Ctx<'_>, who: &str) -> Result<()> {
    let address = keys::resolve_address(&ctx.home, who)?;
    let a = ctx.rpc.request(&GetAccount { address })?;
    let pending = a.next_sequence_number - a.sequence_number;
    let waiting = if pending > 0 {
        format!(
            " ({pending} more waiting in the mempool: next is {})",
            a.next_sequence_number
        )
    } else {
        String::new()
    };
    ctx.out.result(
        &format!(
            "address: {}\nbalance: {}\nsequence number: {}{waiting}\nat height: {}",
            address, a.balance, a.sequence_number, a.height
        ),
        serde_json::to_value(&a)?,
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
            if let TransactionLookup::Included { receipt, .. } = &v.lookup
                && let Some(e) = receipt.events.iter().find(|e| e.name == "PackagePublished")
            {
                // The first version's package id is the original id.
                let id = e.emitter;
                v.extra.insert("original_id".into(), json!(id));
                v.extra.insert("package_id".into(), json!(id));
                if path.is_dir() {
                    ctx.record_deployment(path, &id, recipe.as_ref())?;
                    v.extra
                        .insert("lock".into(), json!(crate::lockfile::path_in(path)));
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
            v.extra
                .get("original_id")
                .and_then(Value::as_str)
                .unwrap_or("?")
        )
    })
}

pub fn call(
    ctx: &Ctx<'_>,
    package: &str,
    function: &str,
    args_json: &str,
    coin: u64,
    args: &TxArgs,
) -> Result<()> {
    let package = parse_address(package, "package")?;
    let json_args = parse_json_args(args_json, "--args")?;
    let bytes = ctx.encode_args(&package, function, &json_args)?;
    let payload = TransactionPayload::Call {
        package,
        function: function.into(),
        args: bytes,
        coin,
    };
    let what = if coin > 0 {
        format!("a call of {function} on {package} with {coin} coin attached")
    } else {
        format!("a call of {function} on {package}")
    };
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

impl Ctx<'_> {
    /// Runs view `function` of `package` with JSON arguments; the result,
    /// and its decoding through the package's interface (`None`: it does
    /// not decode; `Some(Null)`: an absent optional).
    pub fn view_decoded(
        &self,
        package: &Address,
        function: &str,
        json_args: &Value,
    ) -> Result<(molt_rpc_types::ViewResult, Option<Value>)> {
        let bytes = self.encode_args(package, function, json_args)?;
        let (interface, _) = self.interface(package)?;
        let v = self.rpc.request(&View {
            package: *package,
            function: function.into(),
            args: bytes,
            gas: None,
        })?;
        // Decoded here, through the interface the arguments were encoded
        // with, so that an absent optional (JSON null) is told from an
        // undecodable result.
        let decoded = interface
            .function(function)
            .and_then(|f| molt_interface::decode_to_json(&interface, &f.returns, &v.result.0).ok());
        Ok((v, decoded))
    }

    /// [`Ctx::view_decoded`] for callers that need the decoded value.
    pub fn view_value(&self, package: &Address, function: &str, json_args: Value) -> Result<Value> {
        match self.view_decoded(package, function, &json_args)? {
            (_, Some(v)) => Ok(v),
            (v, None) => Err(anyhow!(
                "the result of {package}::{function} ({}) does not decode through its interface",
                v.result
            )),
        }
    }
}

pub fn view(ctx: &Ctx<'_>, package: &str, function: &str, args_json: &str) -> Result<()> {
    let package = parse_address(package, "package")?;
    let json_args = parse_json_args(args_json, "--args")?;
    let (mut v, decoded) = ctx.view_decoded(&package, function, &json_args)?;
    let shown = match decoded {
        Some(Value::Null) => "none".to_string(),
        Some(d) => {
            let shown = d.to_string();
            v.decoded = Some(d);
            shown
        }
        None => format!("\"{}\"", v.result),
    };
    ctx.out.result(&shown, serde_json::to_value(&v)?);
    Ok(())
}

pub fn tx_status(ctx: &Ctx<'_>, id: &str) -> Result<()> {
    let id: Digest = id.parse().with_context(|| {
        format!("{id:?} is not a transaction id (0x followed by 64 hex digits)")
    })?;
    let v = ctx.rpc.request(&GetTransaction { id })?;
    let human = match &v {
        TransactionLookup::Pending { .. } => {
            format!("transaction {id} is pending in the mempool")
        }
        TransactionLookup::Included { receipt: r, .. } => {
            let status = match r.status.failure() {
                None => "success".to_string(),
                Some(f) => format!("FAILED: {}", f.message),
            };
            format!(
                "transaction {id}\nblock: {}\nstatus: {status}\ngas used: {}\nevents: {}",
                r.height.map(|h| h.to_string()).unwrap_or_default(),
                r.gas_used,
                r.events.len()
            )
        }
    };
    ctx.out.result(&human, serde_json::to_value(&v)?);
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
            let v = ctx.rpc.request(&GetPackage { id })?;
            let mut human = format!("package {}\n", v.original_id);
            let shown: Vec<_> = if history {
                v.versions.iter().collect()
            } else {
                v.versions.last().into_iter().collect()
            };
            for p in shown {
                human.push_str(&format!(
                    "version {} (edition {}): package id {}\n  checksum {}\n  owner {} (submitted this version)  policy when created {}  block {}  tx {}\n",
                    p.version, p.edition, p.package_id, p.checksum, p.owner, p.policy, p.height, p.transaction
                ));
            }
            match &v.upgrade_cap {
                None => human.push_str("UpgradeCap: none (destroyed): the package is immutable\n"),
                Some(cap) => human.push_str(&format!(
                    "UpgradeCap {} held by {}, policy {}\n",
                    cap.id, cap.owner, cap.policy
                )),
            }
            if let Some(r) = &v.requested {
                human.push_str(&r.interface.render());
            }
            ctx.out.result(&human, serde_json::to_value(&v)?);
        }
        QueryCommand::Block { height } => {
            let block = if height == "latest" {
                BlockRef::Latest
            } else {
                BlockRef::Height(height.parse::<u64>().with_context(|| {
                    format!(
                        "block {height:?} is not a height (0 to {}) or `latest`",
                        u64::MAX
                    )
                })?)
            };
            let v = ctx.rpc.request(&GetBlock { block, full: false })?;
            let human = format!(
                "block {}\nid: {}\nparent: {}\nstate root: {}\ntransactions: {}\nproposer: {}\ntime (ms): {}",
                v.height,
                v.id,
                v.parent,
                v.state_root,
                v.transactions.len(),
                v.proposer,
                v.timestamp_ms
            );
            ctx.out.result(&human, serde_json::to_value(&v)?);
        }
        QueryCommand::Tx { id } => tx_status(ctx, &id)?,
        QueryCommand::Storage { package, key } => {
            let package = parse_address(&package, "package")?;
            let key_bytes = match key.strip_prefix("0x") {
                Some(h) => hex::decode(h)
                    .context("a key starting with 0x must be hex (an even number of 0-9, a-f)")?,
                None => key.as_bytes().to_vec(),
            };
            let v = ctx.rpc.request(&GetStorage {
                package,
                key: key_bytes,
                version: None,
            })?;
            let human = format!(
                "value: {}\nat version {} with state root {}\nproof: {} bytes",
                v.value
                    .as_ref()
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| "(absent)".into()),
                v.version,
                v.state_root,
                v.proof.as_bytes().len()
            );
            ctx.out.result(&human, serde_json::to_value(&v)?);
        }
    }
    Ok(())
}
