//! The node's side of the privileged host calls (DESIGN.md 3,
//! docs/framework.md): what a framework package's governance actions do to
//! chain state, and `molt.chain_info`.
//!
//! The VM has already decided that the caller is a framework package and
//! validated an upgrade's module; here each action is checked against state
//! and recorded in the block's overlay, inside the running call's
//! checkpoint, so a failed transaction undoes it:
//!
//! - a governance upgrade writes a new version of a framework package
//!   (0x1..0xff) exactly as a cap upgrade does, checked by
//!   `molt_interface::check_upgrade` under `compatible` whatever its cap
//!   says; the next transaction runs it;
//! - parameters are validated ([`ChainParams::validate`]) and kept at
//!   `chain/next_params`; the validator set is validated and kept at
//!   `chain/next_validators`; both take over at the next epoch boundary;
//! - ending the epoch writes `chain/end_epoch`: the next block starts a new
//!   epoch whatever the epoch length says (and applies what is scheduled).

use crate::RuntimeError;
use crate::execute::put;
use crate::genesis::Validator;
use crate::host::{package_info, read_record, resolve};
use crate::overlay::Overlay;
use crate::params::ChainParams;
use crate::runtime::{EPOCH_KEY, EpochState, NEXT_VALIDATORS_KEY, PARAMS_KEY, VALIDATORS_KEY};
use crate::state::{self, PackageRecord, PackageVersion};
use molt_types::{
    Address, Digest, PublicKey, UpgradePolicy, ViolationRecord, codec, sha3_256_tagged,
};
use molt_vm::{ChainInfo, GovernanceRefusal, GovernanceUpgrade, PackageInfo};

/// Parameters scheduled for the next epoch boundary.
pub(crate) const NEXT_PARAMS_KEY: &[u8] = b"chain/next_params";
/// Present: the next block starts a new epoch.
pub(crate) const END_EPOCH_KEY: &[u8] = b"chain/end_epoch";

/// The most validators a scheduled set may hold.
pub const MAX_VALIDATORS: usize = 1024;
/// The largest encoded `ChainParams` a payload may carry.
const MAX_PARAMS_BYTES: usize = 64 * 1024;

type Refusable<T> = Result<Result<T, GovernanceRefusal>, RuntimeError>;

/// The package id of version `version` of `original_id` written by a
/// governance upgrade: one resolve may upgrade several packages, so the id
/// comes from the package and its version, not from the transaction.
pub fn governance_package_id(original_id: &Address, version: u64) -> Address {
    let mut bytes = original_id.as_bytes().to_vec();
    bytes.extend_from_slice(&version.to_be_bytes());
    Address::from_digest(sha3_256_tagged(b"molt/governance-package-id", &bytes))
}

/// `molt.chain_info`.
pub(crate) fn chain_info(
    overlay: &Overlay<'_>,
    what: ChainInfo,
    proposer: Option<Address>,
) -> Result<Option<Vec<u8>>, RuntimeError> {
    Ok(match what {
        ChainInfo::Epoch => {
            let e: EpochState = read_record(overlay, EPOCH_KEY)?.unwrap_or_default();
            Some(codec::encode(&(e.epoch, e.start_height)))
        }
        ChainInfo::Validators => overlay.get(VALIDATORS_KEY)?,
        ChainInfo::NextValidators => overlay.get(NEXT_VALIDATORS_KEY)?,
        ChainInfo::Params => overlay.get(PARAMS_KEY)?,
        ChainInfo::NextParams => overlay.get(NEXT_PARAMS_KEY)?,
        ChainInfo::BlockProposer => proposer.map(|p| codec::encode(&p)),
    })
}

/// `molt.gov_upgrade_package`, after the VM validated the module.
pub(crate) fn upgrade(
    overlay: &mut Overlay<'_>,
    request: GovernanceUpgrade<'_>,
) -> Refusable<PackageInfo> {
    let refuse = |r| Ok(Err(r));
    let Some(named) = resolve(overlay, &request.package)? else {
        return refuse(GovernanceRefusal::UnknownPackage {
            package: request.package,
        });
    };
    let original = named.original_id;
    if !molt_host_rules::privilege::may_upgrade_as_governance(&original) {
        return refuse(GovernanceRefusal::NotFrameworkPackage { package: original });
    }
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
    if let Some(molt_types::ModuleRejection::MissingDependency {
        original_id,
        version,
    }) = crate::host::missing_dependency(overlay, request.interface)?
    {
        return refuse(GovernanceRefusal::MissingDependency {
            original_id,
            version,
        });
    }
    let old_module = overlay
        .get(&state::code_key(&latest.checksum))?
        .unwrap_or_default();
    let report = molt_interface::check_upgrade(
        &latest.interface,
        &old_module,
        request.interface,
        request.module,
        UpgradePolicy::Compatible,
    );
    if !report.is_compatible() {
        return refuse(GovernanceRefusal::Incompatible {
            violations: report
                .violations
                .iter()
                .map(|v| ViolationRecord {
                    code: v.code.code().to_string(),
                    declaration: v.declaration.clone(),
                })
                .collect(),
        });
    }
    let Some(edition) = latest.edition.checked_add(1) else {
        return refuse(GovernanceRefusal::LastEdition);
    };
    let version_number = latest.version + 1;
    let package_id = governance_package_id(&original, version_number);
    let version = PackageVersion {
        package_id,
        original_id: original,
        version: version_number,
        edition,
        checksum: request.checksum,
        owner: latest.owner,
        interface: request.interface.clone(),
        height: request.height,
        transaction: overlay.transaction().unwrap_or(Digest::ZERO),
        policy: latest.policy,
    };
    overlay.put(state::code_key(&request.checksum), request.module.to_vec());
    put(overlay, state::package_key(&package_id), &version);
    record.versions.push(package_id);
    put(overlay, state::record_key(&original), &record);
    Ok(Ok(package_info(&version)))
}

/// `molt.gov_set_params`.
pub(crate) fn schedule_params(overlay: &mut Overlay<'_>, bytes: &[u8]) -> Refusable<()> {
    let params: ChainParams = match codec::decode("chain parameters", bytes, MAX_PARAMS_BYTES) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Err(GovernanceRefusal::InvalidParams {
                reason: e.to_string(),
            }));
        }
    };
    if let Err(e) = params.validate() {
        return Ok(Err(GovernanceRefusal::InvalidParams { reason: e.0 }));
    }
    put(overlay, NEXT_PARAMS_KEY.to_vec(), &params);
    Ok(Ok(()))
}

/// Why a validator set cannot run a chain, if it cannot.
pub fn check_validators(validators: &[Validator]) -> Result<(), String> {
    if validators.is_empty() {
        return Err("the set is empty: a chain needs at least one validator".into());
    }
    if validators.len() > MAX_VALIDATORS {
        return Err(format!(
            "{} validators, over the limit of {MAX_VALIDATORS}",
            validators.len()
        ));
    }
    let mut total = 0u64;
    let mut seen = std::collections::BTreeSet::new();
    for v in validators {
        if v.voting_power == 0 {
            return Err(format!("validator {} has voting power 0", v.address));
        }
        if v.public_key.address() != v.address {
            return Err(format!(
                "validator {} is not the address of its public key",
                v.address
            ));
        }
        if !seen.insert(v.address) {
            return Err(format!("validator {} appears twice", v.address));
        }
        total = total
            .checked_add(v.voting_power)
            .ok_or("the total voting power overflows u64")?;
    }
    Ok(())
}

/// `molt.gov_set_next_validators`.
pub(crate) fn schedule_validators(overlay: &mut Overlay<'_>, bytes: &[u8]) -> Refusable<()> {
    let limit = MAX_VALIDATORS * 80 + 4;
    let entries: Vec<(Address, [u8; 32], u64)> = match codec::decode("validator set", bytes, limit)
    {
        Ok(v) => v,
        Err(e) => {
            return Ok(Err(GovernanceRefusal::InvalidValidators {
                reason: e.to_string(),
            }));
        }
    };
    let validators: Vec<Validator> = entries
        .into_iter()
        .map(|(address, key, voting_power)| Validator {
            address,
            public_key: PublicKey(key),
            voting_power,
        })
        .collect();
    if let Err(reason) = check_validators(&validators) {
        return Ok(Err(GovernanceRefusal::InvalidValidators { reason }));
    }
    put(overlay, NEXT_VALIDATORS_KEY.to_vec(), &validators);
    Ok(Ok(()))
}

/// The largest encoded `UpgradePlan` a framework package may schedule.
const MAX_PLAN_BYTES: usize = 16 * 1024;

/// `molt.gov_schedule_upgrade` in the block at `height`: the plan, checked
/// as every plan is (`halt::check_plan`), at `halt::UPGRADE_PLAN_KEY`.
pub(crate) fn schedule_upgrade(
    overlay: &mut Overlay<'_>,
    bytes: &[u8],
    height: u64,
) -> Refusable<()> {
    let plan: molt_types::UpgradePlan = match codec::decode("upgrade plan", bytes, MAX_PLAN_BYTES) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Err(GovernanceRefusal::InvalidPlan {
                reason: e.to_string(),
            }));
        }
    };
    let stored: Option<molt_types::UpgradePlan> =
        read_record(overlay, crate::halt::UPGRADE_PLAN_KEY)?;
    if let Err(e) = crate::halt::check_plan(&plan, stored.as_ref(), height) {
        return Ok(Err(GovernanceRefusal::InvalidPlan {
            reason: e.to_string(),
        }));
    }
    put(overlay, crate::halt::UPGRADE_PLAN_KEY.to_vec(), &plan);
    Ok(Ok(()))
}

/// `molt.gov_end_epoch`.
pub(crate) fn end_epoch(overlay: &mut Overlay<'_>) -> Refusable<()> {
    overlay.put(END_EPOCH_KEY.to_vec(), vec![1]);
    Ok(Ok(()))
}

/// What the block at `height` starts with, read from its parent's state:
/// the parameters in force and the epoch. At an epoch boundary (the epoch
/// length has passed, or the parent asked to end the epoch) the epoch
/// advances and the scheduled parameters and validator set take over; the
/// returned writes are the boundary's.
pub(crate) fn begin_block(
    overlay: &mut Overlay<'_>,
    height: u64,
    genesis_params: &ChainParams,
) -> Result<(ChainParams, EpochState), RuntimeError> {
    let mut params: ChainParams =
        read_record(overlay, PARAMS_KEY)?.unwrap_or_else(|| genesis_params.clone());
    let mut epoch: EpochState = read_record(overlay, EPOCH_KEY)?.unwrap_or_default();
    let ended = overlay.get(END_EPOCH_KEY)?.is_some();
    if ended || height >= epoch.start_height.saturating_add(params.epoch_length) {
        epoch = EpochState {
            epoch: epoch.epoch + 1,
            start_height: height,
        };
        put(overlay, EPOCH_KEY.to_vec(), &epoch);
        if ended {
            overlay.delete(END_EPOCH_KEY.to_vec());
        }
        if let Some(next) = overlay.get(NEXT_VALIDATORS_KEY)? {
            overlay.put(VALIDATORS_KEY.to_vec(), next);
            overlay.delete(NEXT_VALIDATORS_KEY.to_vec());
        }
        if let Some(next) = read_record::<ChainParams>(overlay, NEXT_PARAMS_KEY)? {
            params = next;
            put(overlay, PARAMS_KEY.to_vec(), &params);
            overlay.delete(NEXT_PARAMS_KEY.to_vec());
        }
    }
    Ok((params, epoch))
}
