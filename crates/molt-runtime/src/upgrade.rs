//! Upgrades and upgrade capabilities (DESIGN.md 2.1-2.3).
//!
//! An upgrade must pass both checks:
//! 1. the `UpgradeCap`: the sender holds it, or a ticket call to the
//!    program that holds it authorizes exactly the new module's checksum;
//!    the new interface is checked against the latest version under the
//!    cap's policy by `molt_interface::check_upgrade` (the same code
//!    `molt upgrade --dry-run` runs);
//! 2. the constructor, if the package declares one: the constructor code of
//!    the package's *first* version runs (its constants, its logic), seeing
//!    the new version's edition and checksum and the upgrade's caller and
//!    height; its failure rejects the upgrade with its message. The new
//!    module's own `molt:constructor` export is never what decides.
//!
//! A rejected upgrade leaves the package, its cap, its storage and its
//! history exactly as before (the payload runs inside a checkpoint).

use crate::error::RuntimeError;
use crate::execute::{
    BlockEnv, Call, Executor, Failed, failure_of, new_package_id, put, vm_failure,
};
use crate::host::{RuntimeHost, package_info, read_record, resolve};
use crate::overlay::Overlay;
use crate::state::{self, PackageRecord, PackageVersion, UpgradeCap};
use molt_types::{
    Address, CapDenial, Digest, Event, FailureReason, SignedTransaction, TicketCall, UpgradePolicy,
    UpgradeRejection, ViolationRecord, codec, sha3_256,
};
use molt_vm::{CallContext, VmError};

type Outcome = Result<Result<u64, Failed>, RuntimeError>;

fn rejected(reason: UpgradeRejection, gas_used: u64) -> Outcome {
    Ok(Err(Failed {
        reason: FailureReason::UpgradeRejected(reason),
        gas_used,
    }))
}

fn cap_denied(reason: CapDenial) -> Outcome {
    Ok(Err(Failed {
        reason: FailureReason::CapDenied(reason),
        gas_used: 0,
    }))
}

/// Removes every ticket recorded in this transaction and returns the one
/// for `cap`, if any. Tickets never outlive the transaction that made them.
pub(crate) fn take_tickets(
    overlay: &mut Overlay<'_>,
    cap: &Address,
) -> Result<Option<Digest>, RuntimeError> {
    let mut found = None;
    let mut after: Option<Vec<u8>> = None;
    while let Some((key, value)) = overlay.next(state::TICKET_PREFIX, after.as_deref())? {
        if key == state::ticket_key(cap) && value.len() == 32 {
            let mut d = [0u8; 32];
            d.copy_from_slice(&value);
            found = Some(Digest(d));
        }
        overlay.delete(key.clone());
        after = Some(key);
    }
    Ok(found)
}

impl Executor<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn upgrade(
        &self,
        overlay: &mut Overlay<'_>,
        tx: &SignedTransaction,
        id: &Digest,
        package: &Address,
        module: &[u8],
        ticket: Option<&TicketCall>,
        env: BlockEnv,
        gas_left: u64,
    ) -> Outcome {
        let sender = tx.transaction.sender;
        let budget = tx.transaction.gas_budget;
        let Some(named) = resolve(overlay, package)? else {
            return Ok(Err(Failed {
                reason: FailureReason::UnknownPackage { package: *package },
                gas_used: 0,
            }));
        };
        let original = named.original_id;
        let mut record = read_record::<PackageRecord>(overlay, &state::record_key(&original))?
            .ok_or_else(|| RuntimeError::Corrupt {
                key: format!("orig/{original}"),
                reason: "package record missing".into(),
            })?;
        let latest = read_record::<PackageVersion>(overlay, &state::package_key(&record.latest()))?
            .ok_or_else(|| RuntimeError::Corrupt {
                key: format!("pkg/{}", record.latest()),
                reason: "latest version missing".into(),
            })?;
        let Some(cap_id) = record.cap else {
            return rejected(UpgradeRejection::Immutable, 0);
        };
        let cap =
            read_record::<UpgradeCap>(overlay, &state::cap_key(&cap_id))?.ok_or_else(|| {
                RuntimeError::Corrupt {
                    key: format!("cap/{cap_id}"),
                    reason: "cap missing".into(),
                }
            })?;
        let checksum = sha3_256(module);
        let mut used = 0u64;

        match ticket {
            None if cap.owner != sender => {
                return rejected(
                    UpgradeRejection::NotCapHolder {
                        cap: cap_id,
                        holder: cap.owner,
                    },
                    0,
                );
            }
            None => {}
            Some(t) => {
                let call = Call {
                    sender: &sender,
                    package: &t.package,
                    function: &t.function,
                    args: &t.args,
                    coin: 0,
                    budget,
                    ticket: true,
                };
                match self.call(overlay, call, env, gas_left)? {
                    Ok(gas) => used = gas,
                    Err(f) => {
                        return rejected(
                            UpgradeRejection::TicketCallFailed {
                                package: t.package,
                                function: t.function.clone(),
                                reason: Box::new(f.reason),
                            },
                            f.gas_used,
                        );
                    }
                }
                // Only the cap's owner can have issued a ticket for it, in
                // the ticket call or in a call it made (docs/host-abi.md), so
                // the ticket program need not hold the cap itself.
                match take_tickets(overlay, &cap_id)? {
                    None => {
                        return rejected(
                            UpgradeRejection::NoTicket {
                                package: t.package,
                                function: t.function.clone(),
                                cap: cap_id,
                            },
                            used,
                        );
                    }
                    Some(d) if d != checksum => {
                        return rejected(
                            UpgradeRejection::TicketChecksumMismatch {
                                authorized: d,
                                actual: checksum,
                            },
                            used,
                        );
                    }
                    Some(_) => {}
                }
            }
        }

        let prepared = match self.vm.prepare(module) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Err(Failed {
                    reason: failure_of(e, budget),
                    gas_used: used,
                }));
            }
        };
        let interface = prepared.interface().clone();
        if let Some(missing) = crate::host::missing_dependency(overlay, &interface)? {
            return Ok(Err(Failed {
                reason: FailureReason::InvalidModule(missing),
                gas_used: used,
            }));
        }
        let old_module = overlay
            .get(&state::code_key(&latest.checksum))?
            .unwrap_or_default();
        let report = molt_interface::check_upgrade(
            &latest.interface,
            &old_module,
            &interface,
            module,
            cap.policy,
        );
        if !report.is_compatible() {
            return Ok(Err(Failed {
                reason: FailureReason::IncompatibleUpgrade {
                    policy: cap.policy,
                    violations: report
                        .violations
                        .iter()
                        .map(|v| ViolationRecord {
                            code: v.code.code().to_string(),
                            declaration: v.declaration.clone(),
                        })
                        .collect(),
                },
                gas_used: used,
            }));
        }
        let Some(edition) = latest.edition.checked_add(1) else {
            return rejected(UpgradeRejection::LastEdition, used);
        };
        let package_id = new_package_id(id);
        let version = PackageVersion {
            package_id,
            original_id: original,
            version: latest.version + 1,
            edition,
            checksum,
            // Aleo's `program_owner`: who submitted this version, not who
            // published the first one (the cap may have changed hands).
            owner: sender,
            interface,
            height: env.height,
            transaction: *id,
            policy: cap.policy,
        };
        overlay.put(state::code_key(&checksum), module.to_vec());
        put(overlay, state::package_key(&package_id), &version);
        record.versions.push(package_id);
        put(overlay, state::record_key(&original), &record);

        // The constructor that decides is the first version's code, never the
        // new module's export: a new module could point `molt:constructor` at
        // anything while keeping the declaration byte for byte.
        let first =
            read_record::<PackageVersion>(overlay, &state::package_key(&record.versions[0]))?
                .ok_or_else(|| RuntimeError::Corrupt {
                    key: format!("pkg/{}", record.versions[0]),
                    reason: "first version missing".into(),
                })?;
        if first.interface.constructor.is_some() {
            let mut host = RuntimeHost {
                overlay,
                proposer: None,
            };
            let constructor = match self.vm.load(&mut host, &package_info(&first)) {
                Ok(p) => p,
                Err(VmError::Host { message }) => {
                    return Err(RuntimeError::Corrupt {
                        key: format!("code/{}", first.checksum),
                        reason: message,
                    });
                }
                Err(e) => {
                    return Err(RuntimeError::Corrupt {
                        key: format!("code/{}", first.checksum),
                        reason: format!("the first version no longer prepares: {e}"),
                    });
                }
            };
            let ctx = CallContext {
                caller: sender,
                origin: sender,
                block_height: env.height,
                block_time_ms: env.timestamp_ms,
                package: package_info(&version),
                ticket_call: false,
                attached_coin: 0,
            };
            let left = gas_left.saturating_sub(used);
            match self.vm.call_constructor(&constructor, &mut host, ctx, left) {
                Ok(out) => used += out.gas_used,
                Err(e) => {
                    let reason = match e.error {
                        VmError::Aborted { code, message } => {
                            FailureReason::ConstructorRejected { code, message }
                        }
                        other => vm_failure(other, budget)?,
                    };
                    return Ok(Err(Failed {
                        reason,
                        gas_used: used + e.gas_used,
                    }));
                }
            }
        }
        overlay.emit(Event {
            emitter: original,
            name: "PackageUpgraded".into(),
            data: codec::encode(&(package_id, version.version, version.edition, checksum)),
        });
        Ok(Ok(used))
    }

    /// Tightens (or, with `Immutable`, destroys) a cap the sender holds.
    pub(crate) fn restrict(
        &self,
        overlay: &mut Overlay<'_>,
        sender: &Address,
        cap_id: &Address,
        policy: UpgradePolicy,
    ) -> Outcome {
        let Some(mut cap) = read_record::<UpgradeCap>(overlay, &state::cap_key(cap_id))? else {
            return cap_denied(CapDenial::NoSuchCap { cap: *cap_id });
        };
        if cap.owner != *sender {
            return cap_denied(CapDenial::NotHolder {
                cap: *cap_id,
                holder: cap.owner,
            });
        }
        if policy < cap.policy {
            return cap_denied(CapDenial::WouldLoosen {
                from: cap.policy,
                to: policy,
            });
        }
        if policy == UpgradePolicy::Immutable {
            overlay.delete(state::cap_key(cap_id));
            let key = state::record_key(&cap.package);
            if let Some(mut record) = read_record::<PackageRecord>(overlay, &key)? {
                record.cap = None;
                put(overlay, key, &record);
            }
            overlay.emit(Event {
                emitter: cap.package,
                name: "UpgradeCapDestroyed".into(),
                data: codec::encode(cap_id),
            });
        } else {
            cap.policy = policy;
            put(overlay, state::cap_key(cap_id), &cap);
            overlay.emit(Event {
                emitter: cap.package,
                name: "UpgradePolicyChanged".into(),
                data: codec::encode(&(*cap_id, policy)),
            });
        }
        Ok(Ok(0))
    }

    pub(crate) fn transfer_cap(
        &self,
        overlay: &mut Overlay<'_>,
        sender: &Address,
        cap_id: &Address,
        to: &Address,
    ) -> Outcome {
        let Some(mut cap) = read_record::<UpgradeCap>(overlay, &state::cap_key(cap_id))? else {
            return cap_denied(CapDenial::NoSuchCap { cap: *cap_id });
        };
        if cap.owner != *sender {
            return cap_denied(CapDenial::NotHolder {
                cap: *cap_id,
                holder: cap.owner,
            });
        }
        cap.owner = *to;
        put(overlay, state::cap_key(cap_id), &cap);
        overlay.emit(Event {
            emitter: cap.package,
            name: "UpgradeCapTransferred".into(),
            data: codec::encode(&(*cap_id, *sender, *to)),
        });
        Ok(Ok(0))
    }
}
