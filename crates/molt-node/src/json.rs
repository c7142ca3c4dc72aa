//! JSON forms of chain objects for the RPC (hex for bytes, `0x` ids).

use molt_runtime::{Account, PackageVersion, ReceiptRecord};
use molt_types::{
    Block, ExecutionStatus, FailureReason, Receipt, SignedTransaction, TransactionPayload, sha3_256,
};
use serde_json::{Value, json};

pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

pub fn block(b: &Block, full: bool) -> Value {
    let h = &b.header;
    let txs: Vec<Value> = if full {
        b.transactions.iter().map(transaction).collect()
    } else {
        b.transactions.iter().map(|t| json!(t.id())).collect()
    };
    json!({
        "id": h.id(),
        "height": h.height,
        "epoch": h.epoch,
        "parent": h.parent,
        "state_root": h.state_root,
        "receipts_root": h.receipts_root,
        "transactions_root": h.transactions_root,
        "proposer": h.proposer,
        "timestamp_ms": h.timestamp_ms,
        "chain_id": h.chain_id,
        "transactions": txs,
    })
}

pub fn transaction(t: &SignedTransaction) -> Value {
    let tx = &t.transaction;
    let payload = match &tx.payload {
        TransactionPayload::Transfer { to, amount } => {
            json!({"type": "transfer", "to": to, "amount": amount})
        }
        TransactionPayload::Publish { module } => {
            json!({"type": "publish", "module_size": module.len(), "checksum": sha3_256(module)})
        }
        TransactionPayload::Call {
            package,
            function,
            args,
        } => json!({"type": "call", "package": package, "function": function, "args": hex0x(args)}),
        TransactionPayload::Upgrade {
            package,
            module,
            ticket,
        } => json!({
            "type": "upgrade",
            "package": package,
            "module_size": module.len(),
            "checksum": sha3_256(module),
            "ticket": ticket.as_ref().map(|t| json!({"package": t.package, "function": t.function, "args": hex0x(&t.args)})),
        }),
        TransactionPayload::RestrictUpgradePolicy { cap, policy } => {
            json!({"type": "restrict_upgrade_policy", "cap": cap, "policy": policy})
        }
        TransactionPayload::MakeImmutable { cap } => json!({"type": "make_immutable", "cap": cap}),
        TransactionPayload::TransferUpgradeCap { cap, to } => {
            json!({"type": "transfer_upgrade_cap", "cap": cap, "to": to})
        }
    };
    json!({
        "id": t.id(),
        "chain_id": tx.chain_id,
        "sender": tx.sender,
        "sequence_number": tx.sequence_number,
        "gas_budget": tx.gas_budget,
        "gas_price": tx.gas_price,
        "expiry_height": tx.expiry_height,
        "payload": payload,
        "public_key": t.public_key,
        "signature": t.signature,
    })
}

fn failure_kind(f: &FailureReason) -> &'static str {
    match f {
        FailureReason::OutOfGas { .. } => "out_of_gas",
        FailureReason::InsufficientBalance { .. } => "insufficient_balance",
        FailureReason::Aborted { .. } => "aborted",
        FailureReason::Trap(_) => "trap",
        FailureReason::InvalidModule(_) => "invalid_module",
        FailureReason::UnknownPackage { .. } => "unknown_package",
        FailureReason::UnknownFunction { .. } => "unknown_function",
        FailureReason::NotCallable { .. } => "not_callable",
        FailureReason::InvalidArguments { .. } => "invalid_arguments",
        FailureReason::LimitExceeded(_) => "limit_exceeded",
        FailureReason::UpgradeRejected(_) => "upgrade_rejected",
        FailureReason::IncompatibleUpgrade { .. } => "incompatible_upgrade",
        FailureReason::ConstructorRejected { .. } => "constructor_rejected",
        FailureReason::CapDenied(_) => "cap_denied",
    }
}

pub fn receipt(r: &Receipt) -> Value {
    let status = match &r.status {
        ExecutionStatus::Success => json!("success"),
        ExecutionStatus::Failure(f) => {
            let mut v = json!({"kind": failure_kind(f), "message": f.to_string()});
            match f {
                FailureReason::Aborted { code, .. }
                | FailureReason::ConstructorRejected { code, .. } => {
                    v["code"] = json!(code);
                }
                FailureReason::IncompatibleUpgrade { violations, .. } => {
                    // Rendered here, at read time: the receipt holds codes
                    // and declaration names only.
                    let report: Vec<String> = violations
                        .iter()
                        .map(|v| {
                            let title = molt_interface::ViolationCode::from_code(&v.code)
                                .map(|c| c.title())
                                .unwrap_or("unknown violation");
                            format!("{} {title}: {}", v.code, v.declaration)
                        })
                        .collect();
                    v["violations"] = json!(violations.iter().map(|v| &v.code).collect::<Vec<_>>());
                    v["declarations"] = json!(
                        violations
                            .iter()
                            .map(|v| &v.declaration)
                            .collect::<Vec<_>>()
                    );
                    v["report"] = json!(report.join("\n"));
                }
                _ => {}
            }
            json!({ "failure": v })
        }
    };
    json!({
        "transaction_id": r.transaction_id,
        "status": status,
        "gas_used": r.gas_used,
        "events": r.events,
    })
}

pub fn receipt_record(r: &ReceiptRecord) -> Value {
    let mut v = receipt(&r.receipt);
    v["height"] = json!(r.height);
    v["index"] = json!(r.index);
    v
}

pub fn account(address: &molt_types::Address, a: &Account) -> Value {
    json!({"address": address, "balance": a.balance, "sequence_number": a.sequence_number})
}

pub fn package_version(p: &PackageVersion) -> Value {
    json!({
        "package_id": p.package_id,
        "original_id": p.original_id,
        "version": p.version,
        "edition": p.edition,
        "checksum": p.checksum,
        "owner": p.owner,
        "policy": p.policy,
        "height": p.height,
        "transaction": p.transaction,
        "interface": p.interface,
    })
}
