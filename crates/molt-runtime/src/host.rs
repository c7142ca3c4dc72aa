//! The VM's view of the world during a transaction: program storage in the
//! block's overlay, packages resolved from state.

use crate::overlay::Overlay;
use crate::state::UpgradeCap;
use crate::state::{self, PackageRecord, PackageVersion};
use molt_types::{Address, Digest, Event, codec};
use molt_vm::{Host, HostError, PackageInfo};

/// Adapts the block overlay to [`molt_vm::Host`].
#[derive(Debug)]
pub struct RuntimeHost<'a, 's> {
    pub overlay: &'a mut Overlay<'s>,
}

fn host_err(e: impl std::fmt::Display) -> HostError {
    HostError::new(e.to_string())
}

/// Reads and decodes a state record.
pub fn read_record<T: borsh::BorshDeserialize>(
    overlay: &Overlay<'_>,
    key: &[u8],
) -> Result<Option<T>, crate::RuntimeError> {
    match overlay.get(key)? {
        None => Ok(None),
        Some(bytes) => codec::decode("state record", &bytes, usize::MAX)
            .map(Some)
            .map_err(|e| crate::RuntimeError::Corrupt {
                key: String::from_utf8_lossy(key).into(),
                reason: e.to_string(),
            }),
    }
}

/// Resolves an original id (to its latest version) or an exact package id.
pub fn resolve(
    overlay: &Overlay<'_>,
    id: &Address,
) -> Result<Option<PackageVersion>, crate::RuntimeError> {
    if let Some(record) = read_record::<PackageRecord>(overlay, &state::record_key(id))? {
        return read_record::<PackageVersion>(overlay, &state::package_key(&record.latest()));
    }
    read_record::<PackageVersion>(overlay, &state::package_key(id))
}

/// Version `version` (from 1) of the package `original_id`, if it exists.
pub fn dependency_version(
    overlay: &Overlay<'_>,
    original_id: &Address,
    version: u64,
) -> Result<Option<PackageVersion>, crate::RuntimeError> {
    let Some(record) = read_record::<PackageRecord>(overlay, &state::record_key(original_id))?
    else {
        return Ok(None);
    };
    let index = version.checked_sub(1).and_then(|i| usize::try_from(i).ok());
    match index.and_then(|i| record.versions.get(i)) {
        Some(id) => read_record::<PackageVersion>(overlay, &state::package_key(id)),
        None => Ok(None),
    }
}

/// The first of a module's declared dependencies that cannot be linked.
pub fn missing_dependency(
    overlay: &Overlay<'_>,
    interface: &molt_interface::Interface,
) -> Result<Option<molt_types::ModuleRejection>, crate::RuntimeError> {
    for d in &interface.dependencies {
        if dependency_version(overlay, &d.original_id, d.version)?.is_none() {
            return Ok(Some(molt_types::ModuleRejection::MissingDependency {
                original_id: d.original_id,
                version: d.version,
            }));
        }
    }
    Ok(None)
}

pub fn package_info(v: &PackageVersion) -> PackageInfo {
    PackageInfo {
        package_id: v.package_id,
        original_id: v.original_id,
        version: v.version,
        edition: v.edition,
        owner: v.owner,
        checksum: v.checksum,
    }
}

impl Host for RuntimeHost<'_, '_> {
    fn storage_get(&mut self, ns: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, HostError> {
        self.overlay
            .get(&state::data_key(ns, key))
            .map_err(host_err)
    }

    fn storage_set(&mut self, ns: &Address, key: &[u8], value: &[u8]) -> Result<(), HostError> {
        self.overlay.put(state::data_key(ns, key), value.to_vec());
        Ok(())
    }

    fn storage_remove(&mut self, ns: &Address, key: &[u8]) -> Result<bool, HostError> {
        let full = state::data_key(ns, key);
        let existed = self.overlay.get(&full).map_err(host_err)?.is_some();
        if existed {
            self.overlay.delete(full);
        }
        Ok(existed)
    }

    fn storage_next(
        &mut self,
        ns: &Address,
        prefix: &[u8],
        after: Option<&[u8]>,
    ) -> Result<Option<(Vec<u8>, Vec<u8>)>, HostError> {
        let base = state::data_prefix(ns);
        let full_prefix = state::data_key(ns, prefix);
        let full_after = after.map(|a| state::data_key(ns, a));
        let next = self
            .overlay
            .next(&full_prefix, full_after.as_deref())
            .map_err(host_err)?;
        Ok(next.map(|(k, v)| (k[base.len()..].to_vec(), v)))
    }

    fn emit_event(&mut self, event: Event) -> Result<(), HostError> {
        self.overlay.emit(event);
        Ok(())
    }

    fn resolve_package(&mut self, package: &Address) -> Result<Option<PackageInfo>, HostError> {
        Ok(resolve(self.overlay, package)
            .map_err(host_err)?
            .map(|v| package_info(&v)))
    }

    fn resolve_version(
        &mut self,
        original_id: &Address,
        version: u64,
    ) -> Result<Option<PackageInfo>, HostError> {
        Ok(dependency_version(self.overlay, original_id, version)
            .map_err(host_err)?
            .map(|v| package_info(&v)))
    }

    fn package_code(&mut self, package_id: &Address) -> Result<Vec<u8>, HostError> {
        let v = read_record::<PackageVersion>(self.overlay, &state::package_key(package_id))
            .map_err(host_err)?
            .ok_or_else(|| HostError::new(format!("no package {package_id}")))?;
        self.overlay
            .get(&state::code_key(&v.checksum))
            .map_err(host_err)?
            .ok_or_else(|| HostError::new(format!("code of {package_id} is missing")))
    }

    fn authorize_upgrade(
        &mut self,
        program: &Address,
        cap: &Address,
        digest: &Digest,
    ) -> Result<Result<(), String>, HostError> {
        let Some(c) =
            read_record::<UpgradeCap>(self.overlay, &state::cap_key(cap)).map_err(host_err)?
        else {
            return Ok(Err(format!("there is no UpgradeCap {cap}")));
        };
        if c.owner != *program {
            return Ok(Err(format!(
                "UpgradeCap {cap} is held by {}, not by this program {program}",
                c.owner
            )));
        }
        // Lives only until the upgrade of this transaction consumes it.
        self.overlay
            .put(state::ticket_key(cap), digest.as_bytes().to_vec());
        Ok(Ok(()))
    }

    fn checkpoint(&mut self) {
        self.overlay.checkpoint();
    }

    fn commit(&mut self) {
        self.overlay.commit();
    }

    fn revert(&mut self) {
        self.overlay.revert();
    }
}
