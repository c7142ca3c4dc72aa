//! Transactions from the CLI: sign, simulate on the node, then submit.
//!
//! Every transaction command (`transfer`, `publish`, `call`, `upgrade`,
//! `cap ..`) goes through [`Ctx::transact`]:
//!
//! 1. the sender's key, the chain (id, height, parameters) and the sender's
//!    account are read; the sequence number is the account's next one by
//!    committed state (the node simulates on committed state, so a number
//!    ahead of it, after transactions still pending, cannot be simulated);
//! 2. the transaction is signed and simulated by the node
//!    (`molt_simulateTransaction`: the node's own block executor, on its
//!    latest state, writing nothing). Without `--gas-budget` the simulation
//!    runs with the largest budget the sender can afford
//!    (`molt_runtime::simulation_budget`), and the transaction is then signed
//!    with the gas the simulation used plus 20%
//!    (`molt_runtime::budget_with_margin`); unused gas is refunded;
//! 3. with `--dry-run` the simulation is the result and nothing is submitted;
//! 4. a transaction the simulation says would fail (it would be included,
//!    pay for the gas it used, and change nothing else) is not submitted
//!    unless `--force`;
//! 5. the transaction is submitted and, unless `--no-wait`, waited for.
//!
//! A transaction the node would not include at all (a bad budget, too
//! little balance, expired, ...) fails at step 2 with the node's reason, and
//! nothing is charged.

use crate::chain::Ctx;
use crate::keys;
use crate::output::Reported;
use crate::rpc::{ErrorCode, is_rpc_error};
use anyhow::{Context, Result, anyhow, bail};
use molt_rpc_types::{
    GetAccount, GetChainInfo, GetTransaction, SimulateTransaction, SimulationView, StatusView,
    SubmitTransaction, TransactionLookup,
};
use molt_runtime::{ChainParams, budget_with_margin, intrinsic_gas, simulation_budget};
use molt_types::{
    ChainId, SecretKey, SignedTransaction, Transaction, TransactionId, TransactionPayload,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long to wait for a submitted transaction to be included.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(60);

/// How a transaction is paid for, signed and sent.
#[derive(Debug, clap::Args)]
pub struct TxArgs {
    /// The signing key: a stored key name or a dev account (dev0..dev3).
    #[arg(long, default_value = "dev0")]
    pub from: String,
    /// The most gas the transaction may use. Default: the gas that the
    /// node's simulation of it uses, plus 20% (unused gas is refunded).
    #[arg(long)]
    pub gas_budget: Option<u64>,
    /// Coin paid per unit of gas.
    #[arg(long, default_value_t = 1)]
    pub gas_price: u64,
    /// Blocks from now after which the transaction can no longer be included.
    #[arg(long, default_value_t = 100)]
    pub expires_in: u64,
    /// Submit and return the id without waiting for inclusion.
    #[arg(long)]
    pub no_wait: bool,
    /// Run the transaction on the node's latest state exactly as the next
    /// block would, print what would happen (status, first failure, gas,
    /// events), and submit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Submit even when a check says the transaction would fail on chain
    /// (the node's simulation, or for `upgrade` the local compatibility
    /// check); it is then included and pays for the gas it uses.
    #[arg(long, conflicts_with = "dry_run")]
    pub force: bool,
}

/// What a transaction command did.
#[derive(Debug)]
pub enum Transacted {
    /// `--dry-run`: what the node's simulation says.
    Simulated(DryRun),
    /// Submitted: pending, or included with its receipt.
    Submitted(Submitted),
}

/// A submitted transaction: what the node says about it, and what the
/// command adds to its JSON document (`package_id`, `upgraded`).
#[derive(Debug, Clone)]
pub struct Submitted {
    pub lookup: TransactionLookup,
    pub extra: serde_json::Map<String, Value>,
}

impl Submitted {
    pub fn new(lookup: TransactionLookup) -> Self {
        Submitted {
            lookup,
            extra: Default::default(),
        }
    }

    /// The `molt_getTransaction` answer with the command's fields added.
    pub fn to_json(&self) -> Value {
        let mut v = serde_json::to_value(&self.lookup).unwrap_or(Value::Null);
        if let Value::Object(fields) = &mut v {
            fields.extend(self.extra.clone());
        }
        v
    }

    /// Whether the transaction was included and succeeded.
    pub fn succeeded(&self) -> bool {
        matches!(&self.lookup, TransactionLookup::Included { receipt, .. } if receipt.status == StatusView::Success)
    }
}

/// The node's simulation of a transaction and the budget it would be
/// signed with.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// The result of `molt_simulateTransaction`.
    pub simulation: SimulationView,
    pub gas_budget: u64,
    pub gas_price: u64,
    /// Whether the budget came from the simulation (no `--gas-budget`).
    pub estimated: bool,
}

impl DryRun {
    /// The failure message, if the transaction would fail on chain.
    pub fn failure(&self) -> Option<String> {
        self.simulation
            .receipt
            .status
            .failure()
            .map(|f| f.message.clone())
    }

    pub fn gas_used(&self) -> u64 {
        self.simulation.receipt.gas_used
    }

    pub fn to_json(&self) -> Value {
        json!({
            "dry_run": true,
            "would_succeed": self.failure().is_none(),
            "simulation": serde_json::to_value(&self.simulation).unwrap_or(Value::Null),
            "gas_budget": self.gas_budget,
            "gas_price": self.gas_price,
            "max_fee": self.gas_budget.checked_mul(self.gas_price),
        })
    }

    /// The simulation for people; `what` says what the transaction does.
    pub fn render(&self, what: &str) -> String {
        let block = &self.simulation.block;
        let receipt = &self.simulation.receipt;
        let status = match self.failure() {
            None => "success".to_string(),
            Some(m) => format!("WOULD FAIL: {m}"),
        };
        let budget = if self.estimated {
            format!("{} (gas used + 20%)", self.gas_budget)
        } else {
            format!("{} (--gas-budget)", self.gas_budget)
        };
        let max_fee = self
            .gas_budget
            .checked_mul(self.gas_price)
            .map(|f| f.to_string())
            .unwrap_or_else(|| "more than 2^64".into());
        let mut text = format!(
            "simulated {what} as block {} on the state of block {} (state root {}); nothing was submitted\n\
             status: {status}\n\
             gas used: {}\n\
             gas budget: {budget}; at most {max_fee} coin at gas price {}, unused gas is refunded\n",
            block.height,
            block.parent_height,
            block.parent_state_root,
            receipt.gas_used,
            self.gas_price,
        );
        text.push_str(&format!("events: {}\n", receipt.events.len()));
        for e in &receipt.events {
            text.push_str(&format!("  {} from {}\n", e.name, e.emitter));
        }
        text
    }

    /// The error of a dry run or a submission stopped by a failed simulation.
    pub fn failed(&self, what: &str, submit: bool) -> anyhow::Error {
        let message = self.failure().unwrap_or_default();
        let message = if submit {
            format!(
                "the transaction would fail on chain: {message}; nothing was submitted \
                 (--force submits it anyway, and it pays for the gas it uses)"
            )
        } else {
            format!("the transaction would fail on chain: {message}")
        };
        Reported {
            message,
            human: self.render(what),
            details: self.to_json(),
            on_stdout: !submit,
        }
        .into()
    }
}

/// The chain facts a transaction is built from.
struct ChainFacts {
    chain_id: ChainId,
    height: u64,
    params: ChainParams,
}

/// The coin a payload moves out of the sender's account besides gas.
fn spend(payload: &TransactionPayload) -> u64 {
    match payload {
        TransactionPayload::Transfer { amount, .. } => *amount,
        _ => 0,
    }
}

impl Ctx<'_> {
    /// The chain's parameters (gas, limits, VM limits) as the node reports them.
    pub fn chain_params(&self) -> Result<ChainParams> {
        Ok(self.rpc.request(&GetChainInfo)?.params)
    }

    fn chain_facts(&self) -> Result<ChainFacts> {
        let info = self.rpc.request(&GetChainInfo)?;
        Ok(ChainFacts {
            chain_id: info.chain_id,
            height: info.height,
            params: info.params,
        })
    }

    /// Builds, simulates and (unless `--dry-run`) submits `payload`;
    /// `what` describes it for people (`transfer 5 to 0x..`).
    pub fn transact(
        &self,
        args: &TxArgs,
        payload: TransactionPayload,
        what: &str,
    ) -> Result<Transacted> {
        let key: SecretKey = keys::load(&self.home, &args.from)?;
        let chain = self.chain_facts()?;
        let expiry_height = chain.height.checked_add(args.expires_in).ok_or_else(|| {
            anyhow!(
                "--expires-in {} is too far: the chain is at height {} and the expiry height \
                 must fit in 64 bits, so at most {}",
                args.expires_in,
                chain.height,
                u64::MAX - chain.height
            )
        })?;
        let account = self.rpc.request(&GetAccount {
            address: key.address(),
        })?;
        let (sequence_number, balance) = (account.sequence_number, account.balance);
        let spend = spend(&payload);
        let sign = |gas_budget: u64, payload: TransactionPayload| {
            Transaction {
                chain_id: chain.chain_id.clone(),
                sender: key.address(),
                sequence_number,
                gas_budget,
                gas_price: args.gas_price,
                expiry_height,
                payload,
            }
            .sign(&key)
        };
        let probe_budget = match args.gas_budget {
            Some(b) => b,
            None => {
                let draft = sign(0, payload.clone());
                let intrinsic = intrinsic_gas(&chain.params, &draft, draft.encode().len());
                simulation_budget(&chain.params, balance, spend, args.gas_price, intrinsic)
            }
        };
        let probe = sign(probe_budget, payload.clone());
        let simulating = self.out.step("simulating on the node...");
        let simulation = self.simulate(&probe)?;
        drop(simulating);
        let mut dry = DryRun {
            gas_budget: probe_budget,
            gas_price: args.gas_price,
            estimated: args.gas_budget.is_none(),
            simulation,
        };
        if dry.estimated {
            dry.gas_budget = budget_with_margin(&chain.params, dry.gas_used());
        }
        if args.dry_run {
            return Ok(Transacted::Simulated(dry));
        }
        if dry.failure().is_some() {
            if !args.force {
                return Err(dry.failed(what, true));
            }
            self.out.progress(&format!(
                "the simulation says: {}\nsubmitting anyway (--force)",
                dry.failure().unwrap_or_default()
            ));
        }
        let tx = if dry.gas_budget == probe_budget {
            probe
        } else {
            sign(dry.gas_budget, payload)
        };
        let id = tx.id();
        self.rpc.request(&SubmitTransaction {
            transaction: tx.encode(),
        })?;
        if args.no_wait {
            return Ok(Transacted::Submitted(Submitted::new(
                TransactionLookup::Pending { id },
            )));
        }
        let waiting = self
            .out
            .step(&format!("submitted {id}, waiting for inclusion..."));
        let included = self.wait_for(&id, INCLUSION_TIMEOUT)?;
        waiting.done(&format!("submitted {id}"));
        Ok(Transacted::Submitted(Submitted::new(included)))
    }

    /// The node's simulation of a signed transaction.
    pub fn simulate(&self, tx: &SignedTransaction) -> Result<SimulationView> {
        self.rpc
            .request(&SimulateTransaction {
                transaction: tx.encode(),
            })
            .context("the node would not include this transaction; nothing was submitted")
    }

    /// Waits until transaction `id` is included; not found yet (`NotFound`)
    /// and pending are waited out, any other error ends the wait.
    pub fn wait_for(&self, id: &TransactionId, timeout: Duration) -> Result<TransactionLookup> {
        let start = Instant::now();
        loop {
            match self.rpc.request(&GetTransaction { id: *id }) {
                Ok(l @ TransactionLookup::Included { .. }) => return Ok(l),
                Ok(TransactionLookup::Pending { .. }) => {}
                Err(e) if is_rpc_error(&e, ErrorCode::NotFound) => {}
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
}

/// Prints what a transaction command did and fails the command if the
/// transaction failed or would fail. `success` describes an included,
/// successful transaction.
pub fn finish(
    ctx: &Ctx<'_>,
    done: Transacted,
    what: &str,
    success: impl FnOnce(&Submitted) -> String,
) -> Result<()> {
    match done {
        Transacted::Simulated(dry) => {
            if dry.failure().is_some() {
                return Err(dry.failed(what, false));
            }
            ctx.out.result(&dry.render(what), dry.to_json());
            Ok(())
        }
        Transacted::Submitted(v) => report_included(ctx, v, success),
    }
}

/// Prints a submitted transaction's result and fails the command if it
/// failed on chain.
fn report_included(
    ctx: &Ctx<'_>,
    done: Submitted,
    success: impl FnOnce(&Submitted) -> String,
) -> Result<()> {
    let receipt = match &done.lookup {
        TransactionLookup::Pending { id } => {
            ctx.out.result(&format!("submitted {id}"), done.to_json());
            return Ok(());
        }
        TransactionLookup::Included { receipt, .. } => receipt.clone(),
    };
    let height = receipt
        .height
        .map(|h| h.to_string())
        .unwrap_or_else(|| "?".into());
    let Some(failure) = receipt.status.failure() else {
        let text = format!(
            "{}\ntransaction {} included in block {height} (gas used {})",
            success(&done),
            receipt.transaction_id,
            receipt.gas_used
        );
        ctx.out.result(&text, done.to_json());
        return Ok(());
    };
    let message = failure.message.clone();
    let human = format!(
        "transaction {} FAILED in block {height}: {message} (gas used {})",
        receipt.transaction_id, receipt.gas_used
    );
    Err(Reported {
        message: format!("the transaction failed on chain: {message}"),
        human,
        details: done.to_json(),
        on_stdout: false,
    }
    .into())
}
