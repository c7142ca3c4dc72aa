//! Executing one transaction against the block's overlay.
//!
//! Order of a transaction, as every node runs it:
//! 1. checks that need no execution ([`Rejection`]): chain, signature,
//!    expiry, sequence number, gas budget and price, balance for the budget;
//! 2. the budget (`gas_budget x gas_price`) is taken from the sender and the
//!    sequence number advances: from here on the transaction is included;
//! 3. the payload runs inside a checkpoint: on failure every write and event
//!    of the payload is undone;
//! 4. unused gas is refunded and the fee (`gas_used x gas_price`) goes to
//!    the block's proposer.

use crate::error::{Rejection, RuntimeError};
use crate::host::{RuntimeHost, package_info, read_record, resolve};
use crate::overlay::Overlay;
use crate::params::ChainParams;
use crate::signatures::SignatureCache;
use crate::state::{self, Account, PackageRecord, PackageVersion, UpgradeCap};
use borsh::BorshSerialize;
use molt_interface::Visibility;
use molt_types::{
    Address, ChainId, Digest, Event, ExecutionStatus, FailureReason, Receipt, SignedTransaction,
    TransactionPayload, UpgradePolicy, codec, sha3_256_tagged,
};
use molt_vm::{CallContext, CallTarget, Vm, VmError};

/// The emitter of events of native (non-program) actions.
pub const SYSTEM_ADDRESS: Address = Address::ZERO;

/// Where and when a transaction runs.
#[derive(Debug, Clone, Copy)]
pub struct BlockEnv {
    pub height: u64,
    pub timestamp_ms: u64,
    pub proposer: Address,
}

/// The executor's fixed inputs.
#[derive(Debug, Clone, Copy)]
pub struct Executor<'r> {
    pub vm: &'r Vm,
    pub chain_id: &'r ChainId,
    pub params: &'r ChainParams,
    /// Signatures already verified (module `signatures`): a hit skips the
    /// check, a miss verifies and records. `None`: always verify.
    pub signatures: Option<&'r SignatureCache>,
}

/// The gas a transaction pays before its payload runs.
pub fn intrinsic_gas(params: &ChainParams, tx: &SignedTransaction, encoded_len: usize) -> u64 {
    let mut gas = params
        .base_gas
        .saturating_add(params.gas_per_byte.saturating_mul(encoded_len as u64));
    if let TransactionPayload::Publish { module } = &tx.transaction.payload {
        gas = gas.saturating_add(
            params
                .publish_gas_per_byte
                .saturating_mul(module.len() as u64),
        );
    }
    gas
}

pub fn account(overlay: &Overlay<'_>, a: &Address) -> Result<Account, RuntimeError> {
    Ok(read_record::<Account>(overlay, &state::account_key(a))?.unwrap_or_default())
}

pub(crate) fn put<T: BorshSerialize>(overlay: &mut Overlay<'_>, key: Vec<u8>, value: &T) {
    overlay.put(key, codec::encode(value));
}

/// The id of the package published by transaction `tx`.
pub fn new_package_id(tx: &Digest) -> Address {
    Address::from_digest(sha3_256_tagged(b"molt/package-id", tx.as_bytes()))
}

/// The original id (permanent id and storage namespace) of the package
/// published by transaction `tx`. It differs from the first version's
/// package id, so that calls by original id can always mean "the latest
/// version" while every version stays callable by its own package id.
pub fn new_original_id(tx: &Digest) -> Address {
    Address::from_digest(sha3_256_tagged(b"molt/original-id", tx.as_bytes()))
}

/// The id of the upgrade capability of package `original_id`.
pub fn cap_id(original_id: &Address) -> Address {
    Address::from_digest(sha3_256_tagged(b"molt/upgrade-cap", original_id.as_bytes()))
}

/// Stores version 1 of a new package: its code, the version, the package
/// record, and an `UpgradeCap` with policy `compatible` held by its owner.
/// Used by publishing and by genesis.
pub(crate) fn store_first_version(
    overlay: &mut Overlay<'_>,
    module: &[u8],
    version: &PackageVersion,
) {
    let original_id = version.original_id;
    let cap = UpgradeCap {
        id: cap_id(&original_id),
        package: original_id,
        owner: version.owner,
        policy: UpgradePolicy::Compatible,
    };
    overlay.put(state::code_key(&version.checksum), module.to_vec());
    put(overlay, state::package_key(&version.package_id), version);
    let record = PackageRecord {
        original_id,
        versions: vec![version.package_id],
        cap: Some(cap.id),
    };
    put(overlay, state::record_key(&original_id), &record);
    put(overlay, state::cap_key(&cap.id), &cap);
}

/// Maps a VM failure to the receipt's reason: codes and structured data
/// only, never the engine's or the VM's wording (DESIGN.md 5). `function`
/// names the called function, for argument errors.
pub fn failure_of(error: VmError, budget: u64) -> FailureReason {
    use molt_types::{LimitKind, ModuleRejection as M, NotCallableReason, TrapCode as T};
    let size = |n: usize| n as u64;
    match error {
        VmError::OutOfGas { .. } => FailureReason::OutOfGas { budget },
        VmError::Aborted { code, message } => FailureReason::Aborted { code, message },
        VmError::Trap { code, .. } => FailureReason::Trap(code),
        VmError::UnknownFunction { name } => FailureReason::UnknownFunction {
            package: Address::ZERO,
            function: name,
        },
        VmError::NotCallable {
            name, visibility, ..
        } => FailureReason::NotCallable {
            function: name,
            reason: if visibility == Visibility::Internal {
                NotCallableReason::Internal
            } else {
                NotCallableReason::EntryFromProgram
            },
        },
        VmError::UnexpectedArguments { .. } => FailureReason::Trap(T::UnexpectedArguments),
        VmError::UnknownPackage { package } => FailureReason::UnknownPackage { package },
        VmError::MemoryLimit {
            requested_pages,
            limit_pages,
        } => FailureReason::LimitExceeded(LimitKind::Memory {
            requested_pages,
            limit_pages: u64::from(limit_pages),
        }),
        VmError::CallDepthExceeded { limit } => {
            FailureReason::LimitExceeded(LimitKind::CallDepth {
                limit: u64::from(limit),
            })
        }
        VmError::StackOverflow {
            max_recursion_depth,
        } => FailureReason::LimitExceeded(LimitKind::Recursion {
            limit: size(max_recursion_depth),
        }),
        VmError::LimitExceeded {
            what,
            size: s,
            limit,
        } => FailureReason::LimitExceeded(LimitKind::Size {
            what: what.into(),
            size: size(s),
            limit: size(limit),
        }),
        VmError::GasLimitTooHigh { requested, max } => {
            FailureReason::LimitExceeded(LimitKind::GasPerCall { requested, max })
        }
        VmError::ModuleTooLarge { size: s, limit } => FailureReason::InvalidModule(M::TooLarge {
            size: size(s),
            limit: size(limit),
        }),
        VmError::InvalidModule { .. } => FailureReason::InvalidModule(M::Invalid),
        VmError::UnknownImport { module, name } => {
            FailureReason::InvalidModule(M::UnknownImport { module, name })
        }
        VmError::ImportSignatureMismatch { name, .. } => {
            FailureReason::InvalidModule(M::ImportSignatureMismatch { name })
        }
        VmError::MissingInterface => FailureReason::InvalidModule(M::MissingInterface),
        VmError::InterfaceTooLarge { size: s, limit } => {
            FailureReason::InvalidModule(M::InterfaceTooLarge {
                size: size(s),
                limit: size(limit),
            })
        }
        VmError::BadInterface { .. } => FailureReason::InvalidModule(M::BadInterface),
        VmError::MissingExport { name } => FailureReason::InvalidModule(M::MissingExport { name }),
        VmError::ExportSignatureMismatch { name, .. } => {
            FailureReason::InvalidModule(M::ExportSignatureMismatch { name })
        }
        VmError::UndeclaredExport { name } => {
            FailureReason::InvalidModule(M::UndeclaredExport { name })
        }
        VmError::MemoryOutOfBounds { .. } => FailureReason::Trap(T::HostMemoryOutOfBounds),
        VmError::InvalidUtf8 { .. } => FailureReason::Trap(T::InvalidUtf8),
        VmError::WriteInView { .. } => FailureReason::Trap(T::WriteInView),
        VmError::NoSuchEntryPoint { .. } => FailureReason::Trap(T::NoSuchEntryPoint),
        VmError::MissingReturnData { .. } => FailureReason::Trap(T::MissingReturnData),
        VmError::UndeclaredEvent { .. } => FailureReason::Trap(T::UndeclaredEvent),
        VmError::UpgradeNotAuthorized { .. } => FailureReason::Trap(T::UpgradeNotAuthorized),
        VmError::NotPrivileged(_) => FailureReason::Trap(T::NotPrivileged),
        VmError::GovernanceModuleInvalid { error, .. } => failure_of(*error, budget),
        VmError::GovernanceRefused { refusal, .. } => match refusal {
            molt_vm::GovernanceRefusal::Incompatible { violations } => {
                FailureReason::IncompatibleUpgrade {
                    policy: UpgradePolicy::Compatible,
                    violations,
                }
            }
            molt_vm::GovernanceRefusal::MissingDependency {
                original_id,
                version,
            } => FailureReason::InvalidModule(M::MissingDependency {
                original_id,
                version,
            }),
            molt_vm::GovernanceRefusal::UnknownPackage { package } => {
                FailureReason::UnknownPackage { package }
            }
            _ => FailureReason::Trap(T::GovernanceActionRefused),
        },
        _ => FailureReason::Trap(T::Other),
    }
}

/// [`failure_of`], except that a failure of the host itself (the node's
/// storage or state, in any nested call) is fatal for the block: it must
/// never become a receipt, or nodes whose disks behave differently diverge.
pub(crate) fn vm_failure(error: VmError, budget: u64) -> Result<FailureReason, RuntimeError> {
    match error {
        VmError::Host { message } => Err(RuntimeError::HostFault(message)),
        other => Ok(failure_of(other, budget)),
    }
}

/// A `Call` payload's inputs.
pub(crate) struct Call<'a> {
    pub(crate) sender: &'a Address,
    pub(crate) package: &'a Address,
    pub(crate) function: &'a str,
    pub(crate) args: &'a [u8],
    /// Coin attached by the transaction, moved from `sender` to the
    /// package's account before the call runs (undone with the call).
    pub(crate) coin: u64,
    pub(crate) budget: u64,
    /// The ticket call of an `Upgrade` transaction (may issue tickets).
    pub(crate) ticket: bool,
}

/// A payload's failure and the gas it used.
pub(crate) struct Failed {
    pub(crate) reason: FailureReason,
    pub(crate) gas_used: u64,
}

impl Executor<'_> {
    /// Checks that need no execution, on `overlay`, the state the next
    /// block would execute on. `height` is the block the transaction would
    /// be included in. For the mempool: a failure to read the sender's
    /// account counts as an empty account here, and a failure to read what
    /// would let a large resolve in (docs/framework.md) as not approved;
    /// block execution reads both fatally ([`Executor::apply`]).
    pub fn precheck(
        &self,
        overlay: &Overlay<'_>,
        tx: &SignedTransaction,
        encoded_len: usize,
        height: u64,
        allow_future_sequence: bool,
    ) -> Result<u64, Rejection> {
        match crate::large::check_size(overlay, self.params, tx, encoded_len) {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Err(why),
            Err(_) => {
                return Err(Rejection::TooLarge {
                    size: encoded_len,
                    limit: codec::limits::MAX_TRANSACTION_BYTES,
                });
            }
        }
        let acct = account(overlay, &tx.transaction.sender).unwrap_or_default();
        self.precheck_account(&acct, tx, encoded_len, height, allow_future_sequence)
    }

    fn precheck_account(
        &self,
        acct: &Account,
        tx: &SignedTransaction,
        encoded_len: usize,
        height: u64,
        allow_future_sequence: bool,
    ) -> Result<u64, Rejection> {
        let t = &tx.transaction;
        // The size (`crate::large::check_size`) is judged by the callers,
        // on the state before the block.
        if &t.chain_id != self.chain_id {
            return Err(Rejection::WrongChain {
                expected: self.chain_id.clone(),
                found: t.chain_id.clone(),
            });
        }
        if !self.signatures.is_some_and(|c| c.verified(tx)) {
            tx.verify()?;
            if let Some(c) = self.signatures {
                c.record(tx);
            }
        }
        if t.expiry_height < height {
            return Err(Rejection::Expired {
                expiry: t.expiry_height,
                height,
            });
        }
        let intrinsic = intrinsic_gas(self.params, tx, encoded_len);
        if t.gas_budget < intrinsic {
            return Err(Rejection::GasBudgetTooLow {
                budget: t.gas_budget,
                minimum: intrinsic,
            });
        }
        if t.gas_budget > self.params.max_gas_budget {
            return Err(Rejection::GasBudgetTooHigh {
                budget: t.gas_budget,
                maximum: self.params.max_gas_budget,
            });
        }
        if t.gas_price < self.params.min_gas_price {
            return Err(Rejection::GasPriceTooLow {
                price: t.gas_price,
                minimum: self.params.min_gas_price,
            });
        }
        if t.sequence_number < acct.sequence_number {
            return Err(Rejection::SequenceTooOld {
                expected: acct.sequence_number,
                found: t.sequence_number,
            });
        }
        if t.sequence_number > acct.sequence_number && !allow_future_sequence {
            return Err(Rejection::SequenceTooNew {
                expected: acct.sequence_number,
                found: t.sequence_number,
            });
        }
        let needed = t
            .gas_budget
            .checked_mul(t.gas_price)
            .ok_or(Rejection::CannotPayGas {
                account: t.sender,
                balance: acct.balance,
                needed: u64::MAX,
            })?;
        if acct.balance < needed {
            return Err(Rejection::CannotPayGas {
                account: t.sender,
                balance: acct.balance,
                needed,
            });
        }
        Ok(intrinsic)
    }

    /// Applies one transaction. `Ok(Err(_))`: not includable, nothing
    /// changed. `before_block` is the state the block executes on (its
    /// parent's), which decides whether a transaction over the size limit
    /// may be included (`crate::large`).
    pub fn apply(
        &self,
        overlay: &mut Overlay<'_>,
        before_block: &Overlay<'_>,
        tx: &SignedTransaction,
        encoded_len: usize,
        env: BlockEnv,
    ) -> Result<Result<Receipt, Rejection>, RuntimeError> {
        // A read failure of our own state aborts the block, never rejects.
        if let Err(why) = crate::large::check_size(before_block, self.params, tx, encoded_len)? {
            return Ok(Err(why));
        }
        let acct = account(overlay, &tx.transaction.sender)?;
        let intrinsic = match self.precheck_account(&acct, tx, encoded_len, env.height, false) {
            Ok(g) => g,
            Err(r) => return Ok(Err(r)),
        };
        let t = &tx.transaction;
        let id = tx.id();
        let mut sender = account(overlay, &t.sender)?;
        let budget_cost = t.gas_budget * t.gas_price; // checked in precheck
        sender.balance -= budget_cost;
        sender.sequence_number += 1;
        put(overlay, state::account_key(&t.sender), &sender);

        overlay.take_events();
        overlay.set_transaction(Some(id));
        overlay.checkpoint();
        let outcome = self.run_payload(overlay, tx, &id, env, t.gas_budget - intrinsic);
        overlay.set_transaction(None);
        let (status, exec_gas) = match outcome? {
            Ok(gas) => {
                overlay.commit();
                (ExecutionStatus::Success, gas)
            }
            Err(Failed { reason, gas_used }) => {
                overlay.revert();
                (ExecutionStatus::Failure(reason), gas_used)
            }
        };
        // A ticket that no upgrade of this transaction consumed expires here.
        crate::upgrade::take_tickets(overlay, &Address::ZERO)?;
        let gas_used = intrinsic.saturating_add(exec_gas).min(t.gas_budget);
        let events = overlay.take_events();

        let mut sender = account(overlay, &t.sender)?;
        sender.balance += (t.gas_budget - gas_used) * t.gas_price;
        put(overlay, state::account_key(&t.sender), &sender);
        let mut proposer = account(overlay, &env.proposer)?;
        proposer.balance = proposer.balance.saturating_add(gas_used * t.gas_price);
        put(overlay, state::account_key(&env.proposer), &proposer);

        Ok(Ok(Receipt {
            transaction_id: id,
            status,
            gas_used,
            events,
        }))
    }

    fn run_payload(
        &self,
        overlay: &mut Overlay<'_>,
        tx: &SignedTransaction,
        id: &Digest,
        env: BlockEnv,
        gas_left: u64,
    ) -> Result<Result<u64, Failed>, RuntimeError> {
        let t = &tx.transaction;
        let fail = |reason| {
            Ok(Err(Failed {
                reason,
                gas_used: 0,
            }))
        };
        match &t.payload {
            TransactionPayload::Transfer { to, amount } => {
                if let Err(available) = crate::coin::transfer(overlay, &t.sender, to, *amount)? {
                    return fail(FailureReason::InsufficientBalance {
                        needed: *amount,
                        available,
                    });
                }
                overlay.emit(molt_vm::transfer_event(t.sender, *to, *amount));
                Ok(Ok(0))
            }
            TransactionPayload::Publish { module } => {
                self.publish(overlay, tx, module, id, env, gas_left)
            }
            TransactionPayload::Call {
                package,
                function,
                args,
                coin,
            } => {
                let call = Call {
                    sender: &t.sender,
                    package,
                    function,
                    args,
                    coin: *coin,
                    budget: t.gas_budget,
                    ticket: false,
                };
                self.call(overlay, call, env, gas_left)
            }
            TransactionPayload::Upgrade {
                package,
                module,
                ticket,
            } => self.upgrade(
                overlay,
                tx,
                id,
                package,
                module,
                ticket.as_ref(),
                env,
                gas_left,
            ),
            TransactionPayload::RestrictUpgradePolicy { cap, policy } => {
                self.restrict(overlay, &t.sender, cap, *policy)
            }
            TransactionPayload::MakeImmutable { cap } => {
                self.restrict(overlay, &t.sender, cap, UpgradePolicy::Immutable)
            }
            TransactionPayload::TransferUpgradeCap { cap, to } => {
                self.transfer_cap(overlay, &t.sender, cap, to)
            }
        }
    }

    fn publish(
        &self,
        overlay: &mut Overlay<'_>,
        tx: &SignedTransaction,
        module: &[u8],
        id: &Digest,
        env: BlockEnv,
        gas_left: u64,
    ) -> Result<Result<u64, Failed>, RuntimeError> {
        let t = &tx.transaction;
        let budget = t.gas_budget;
        let prepared = match self.vm.prepare(module) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Err(Failed {
                    reason: failure_of(e, budget),
                    gas_used: 0,
                }));
            }
        };
        let interface = prepared.interface().clone();
        if let Some(missing) = crate::host::missing_dependency(overlay, &interface)? {
            return Ok(Err(Failed {
                reason: FailureReason::InvalidModule(missing),
                gas_used: 0,
            }));
        }
        let package_id = new_package_id(id);
        let original_id = new_original_id(id);
        let version = PackageVersion {
            package_id,
            original_id,
            version: 1,
            edition: 0,
            checksum: prepared.checksum(),
            owner: t.sender,
            interface: interface.clone(),
            height: env.height,
            transaction: *id,
            policy: UpgradePolicy::Compatible,
        };
        store_first_version(overlay, module, &version);

        let ctx = CallContext {
            caller: t.sender,
            origin: t.sender,
            block_height: env.height,
            block_time_ms: env.timestamp_ms,
            package: package_info(&version),
            ticket_call: false,
            attached_coin: 0,
        };
        let mut used = 0u64;
        let mut targets = Vec::new();
        if interface.constructor.is_some() {
            targets.push(CallTarget::Constructor);
        }
        if interface.init {
            targets.push(CallTarget::Init);
        }
        for target in targets {
            let mut host = RuntimeHost {
                overlay,
                proposer: Some(env.proposer),
            };
            match self.vm.call(
                &prepared,
                &mut host,
                ctx.clone(),
                &target,
                &[],
                gas_left - used,
            ) {
                Ok(out) => used += out.gas_used,
                Err(e) => {
                    return Ok(Err(Failed {
                        reason: vm_failure(e.error, budget)?,
                        gas_used: used + e.gas_used,
                    }));
                }
            }
        }
        overlay.emit(Event {
            emitter: original_id,
            name: "PackagePublished".into(),
            data: codec::encode(&(package_id, 1u64, version.checksum)),
        });
        Ok(Ok(used))
    }

    pub(crate) fn call(
        &self,
        overlay: &mut Overlay<'_>,
        call: Call<'_>,
        env: BlockEnv,
        gas_left: u64,
    ) -> Result<Result<u64, Failed>, RuntimeError> {
        let Call {
            sender,
            package,
            function,
            args,
            coin,
            budget,
            ticket,
        } = call;
        let fail = |reason| {
            Ok(Err(Failed {
                reason,
                gas_used: 0,
            }))
        };
        let Some(version) = resolve(overlay, package)? else {
            return fail(FailureReason::UnknownPackage { package: *package });
        };
        let Some(decl) = version.interface.function(function) else {
            return fail(FailureReason::UnknownFunction {
                package: *package,
                function: function.into(),
            });
        };
        if decl.visibility == Visibility::Internal {
            return fail(FailureReason::NotCallable {
                function: function.into(),
                reason: molt_types::NotCallableReason::Internal,
            });
        }
        if molt_interface::check_args(&version.interface, decl, args).is_err() {
            return fail(FailureReason::InvalidArguments {
                function: function.into(),
            });
        }
        if coin > 0 {
            let to = version.original_id;
            if let Err(available) = crate::coin::transfer(overlay, sender, &to, coin)? {
                return fail(FailureReason::InsufficientBalance {
                    needed: coin,
                    available,
                });
            }
            overlay.emit(molt_vm::transfer_event(*sender, to, coin));
        }
        let info = package_info(&version);
        let mut host = RuntimeHost {
            overlay,
            proposer: Some(env.proposer),
        };
        let prepared = match self.vm.load(&mut host, &info) {
            Ok(p) => p,
            Err(VmError::Host { message }) => {
                return Err(RuntimeError::Corrupt {
                    key: "code".into(),
                    reason: message,
                });
            }
            Err(e) => return fail(failure_of(e, budget)),
        };
        let ctx = CallContext {
            caller: *sender,
            origin: *sender,
            block_height: env.height,
            block_time_ms: env.timestamp_ms,
            package: info,
            ticket_call: ticket,
            attached_coin: coin,
        };
        match self.vm.call(
            &prepared,
            &mut host,
            ctx,
            &CallTarget::Function(function.into()),
            args,
            gas_left,
        ) {
            Ok(out) => Ok(Ok(out.gas_used)),
            Err(e) => Ok(Err(Failed {
                reason: vm_failure(e.error, budget)?,
                gas_used: e.gas_used,
            })),
        }
    }
}
