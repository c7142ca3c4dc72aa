//! Commands that talk to a node: account, transfer, publish, call, view,
//! tx status, query.

use crate::inspect::read_interface;
use crate::keys;
use crate::output::Output;
use crate::rpc::RpcClient;
use anyhow::{Context, Result, anyhow, bail};
use molt_build::{build_program, detect_route};
use molt_interface::Interface;
use molt_types::{Address, ChainId, SecretKey, Transaction, TransactionPayload};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Everything a chain command needs.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub rpc: RpcClient,
    pub home: PathBuf,
    pub out: &'a Output,
}

/// How a transaction is paid for and signed.
#[derive(Debug, clap::Args)]
pub struct TxArgs {
    /// The signing key: a stored key name or a dev account (dev0..dev3).
    #[arg(long, default_value = "dev0")]
    pub from: String,
    /// The most gas the transaction may use.
    #[arg(long, default_value_t = 50_000_000)]
    pub gas_budget: u64,
    /// Coin paid per unit of gas.
    #[arg(long, default_value_t = 1)]
    pub gas_price: u64,
    /// Blocks from now after which the transaction can no longer be included.
    #[arg(long, default_value_t = 100)]
    pub expires_in: u64,
    /// Submit and return the id without waiting for inclusion.
    #[arg(long)]
    pub no_wait: bool,
}

fn parse_address(s: &str) -> Result<Address> {
    s.parse()
        .with_context(|| format!("{s:?} is not an address (0x followed by hex)"))
}

impl Ctx<'_> {
    /// Signs `payload` with `args.from`, submits it, and waits for its receipt.
    pub fn submit(&self, args: &TxArgs, payload: TransactionPayload) -> Result<Value> {
        let key: SecretKey = keys::load(&self.home, &args.from)?;
        let info = self.rpc.call("molt_chainInfo", json!([]))?;
        let chain_id: ChainId = info["chain_id"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .map_err(|e| anyhow!("node reported a bad chain id: {e}"))?;
        let height = info["height"].as_u64().unwrap_or(0);
        let account = self.rpc.call("molt_getAccount", json!([key.address()]))?;
        let tx = Transaction {
            chain_id,
            sender: key.address(),
            sequence_number: account["sequence_number"].as_u64().unwrap_or(0),
            gas_budget: args.gas_budget,
            gas_price: args.gas_price,
            expiry_height: height + args.expires_in,
            payload,
        }
        .sign(&key);
        let id = tx.id();
        self.rpc.call(
            "molt_submitTransaction",
            json!([format!("0x{}", hex::encode(tx.encode()))]),
        )?;
        if args.no_wait {
            return Ok(json!({"status": "pending", "id": id}));
        }
        self.out
            .progress(&format!("submitted {id}, waiting for inclusion..."));
        self.wait_for(&id.to_string(), Duration::from_secs(60))
    }

    pub fn wait_for(&self, id: &str, timeout: Duration) -> Result<Value> {
        let start = Instant::now();
        loop {
            match self.rpc.call("molt_getTransaction", json!([id])) {
                Ok(v) if v["status"] == "included" => return Ok(v),
                Ok(_) => {}
                Err(e) if e.to_string().contains("-32002") => {}
                Err(e) => return Err(e),
            }
            if start.elapsed() > timeout {
                bail!(
                    "transaction {id} was not included within {}s; check it later with `molt tx status {id}`",
                    timeout.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Encodes JSON arguments for `function` of `package` through its
    /// on-chain interface; `flag` names the option they came from.
    pub fn encode_args(
        &self,
        package: &Address,
        function: &str,
        args_json: &str,
        flag: &str,
    ) -> Result<Vec<u8>> {
        let (interface, _) = self.interface(package)?;
        let decl = interface.function(function).ok_or_else(|| {
            anyhow!(
                "package {package} has no function `{function}`; it has: {}",
                names(&interface)
            )
        })?;
        let json_args: Value = serde_json::from_str(args_json)
            .with_context(|| format!("{flag} is not JSON: {args_json}"))?;
        Ok(molt_interface::encode_args(&interface, decl, &json_args)?)
    }

    /// The latest interface of a package on chain.
    pub fn interface(&self, package: &Address) -> Result<(Interface, Value)> {
        let pkg = self.rpc.call("molt_getPackage", json!([package]))?;
        let interface: Interface = serde_json::from_value(pkg["requested"]["interface"].clone())
            .map_err(|e| anyhow!("the node returned an unreadable interface: {e}"))?;
        Ok((interface, pkg))
    }
}

/// Prints a transaction result and fails the command if it failed on chain.
pub fn report_tx(ctx: &Ctx<'_>, v: Value, success: impl FnOnce(&Value) -> String) -> Result<()> {
    if v["status"] == "pending" {
        ctx.out.result(
            &format!("submitted {}", v["id"].as_str().unwrap_or_default()),
            v,
        );
        return Ok(());
    }
    let receipt = &v["receipt"];
    if receipt["status"] == "success" {
        let text = format!(
            "{}\ntransaction {} included in block {} (gas used {})",
            success(&v),
            receipt["transaction_id"].as_str().unwrap_or_default(),
            receipt["height"],
            receipt["gas_used"]
        );
        ctx.out.result(&text, v);
        Ok(())
    } else {
        let message = receipt["status"]["failure"]["message"]
            .as_str()
            .unwrap_or("failed")
            .to_string();
        let text = format!(
            "transaction {} FAILED in block {}: {message} (gas used {})",
            receipt["transaction_id"].as_str().unwrap_or_default(),
            receipt["height"],
            receipt["gas_used"]
        );
        if ctx.out.json {
            ctx.out.result(&text, v);
        } else {
            eprintln!("{text}");
        }
        bail!("the transaction failed on chain: {message}")
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
    let v = ctx.submit(args, TransactionPayload::Transfer { to, amount })?;
    report_tx(ctx, v, |_| format!("transferred {amount} to {to}"))
}

/// Reads a module from a `.wasm` file or builds a program crate directory.
pub fn load_module(ctx: &Ctx<'_>, path: &Path) -> Result<Vec<u8>> {
    if path.is_dir() {
        let route = detect_route()?;
        ctx.out
            .progress(&format!("building {} ({route})...", path.display()));
        Ok(build_program(path, &route)?.bytes)
    } else {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

pub fn publish(ctx: &Ctx<'_>, path: &Path, args: &TxArgs) -> Result<()> {
    let module = load_module(ctx, path)?;
    let interface = read_interface(&module)
        .with_context(|| format!("{} is not a Molt program", path.display()))?;
    molt_interface::check_exports(&module, &interface)?;
    let v = ctx.submit(args, TransactionPayload::Publish { module })?;
    let package = v["receipt"]["events"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["name"] == "PackagePublished"))
        .and_then(|e| e["emitter"].as_str())
        .map(String::from);
    let mut v = v;
    if let Some(p) = &package {
        v["package_id"] = json!(p);
    }
    report_tx(ctx, v, |_| {
        format!(
            "published {} as package {}",
            interface.name,
            package.as_deref().unwrap_or("?")
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
    let package = parse_address(package)?;
    let bytes = ctx.encode_args(&package, function, args_json, "--args")?;
    let v = ctx.submit(
        args,
        TransactionPayload::Call {
            package,
            function: function.into(),
            args: bytes,
        },
    )?;
    report_tx(ctx, v, |_| format!("called {function} on {package}"))
}

fn names(i: &Interface) -> String {
    i.functions
        .iter()
        .map(|f| f.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn view(ctx: &Ctx<'_>, package: &str, function: &str, args_json: &str) -> Result<()> {
    let package = parse_address(package)?;
    let bytes = ctx.encode_args(&package, function, args_json, "--args")?;
    let v = ctx.rpc.call(
        "molt_view",
        json!([package, function, format!("0x{}", hex::encode(bytes))]),
    )?;
    let shown = if v["decoded"].is_null() {
        v["result"].to_string()
    } else {
        v["decoded"].to_string()
    };
    ctx.out.result(&shown, v);
    Ok(())
}

pub fn tx_status(ctx: &Ctx<'_>, id: &str) -> Result<()> {
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
            let id = parse_address(&id)?;
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
                    "version {} (edition {}): package id {}\n  checksum {}\n  owner {}  policy {}  block {}  tx {}\n",
                    p["version"], p["edition"], p["package_id"].as_str().unwrap_or_default(), p["checksum"].as_str().unwrap_or_default(),
                    p["owner"].as_str().unwrap_or_default(), p["policy"].as_str().unwrap_or_default(), p["height"], p["transaction"].as_str().unwrap_or_default()
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
                json!(
                    height
                        .parse::<u64>()
                        .context("height is a number or `latest`")?
                )
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
            let package = parse_address(&package)?;
            let key_bytes = match key.strip_prefix("0x") {
                Some(h) => hex::decode(h).context("key is not hex")?,
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
                v["proof"].as_str().map(|p| (p.len() - 2) / 2).unwrap_or(0)
            );
            ctx.out.result(&human, v);
        }
    }
    Ok(())
}
