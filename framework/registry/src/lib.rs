//! `registry` (framework address `0x5`): which deployment of a service is
//! canonical (DESIGN.md 3, docs/canonical-deployments.md).
//!
//! A **service** is a name (1 to 64 bytes of `a-z 0-9 . _ -`) with an
//! ordered list of **versions**, each a package id and a label; the last
//! version is the canonical one. Versions are only ever appended: nothing
//! is removed, so the history answers "what was canonical when", and every
//! older deployment stays on chain, callable by its package id.
//!
//! Only governance changes the registry: `add_version` accepts calls from
//! the tracks' executors alone (`governance` at `0x2`, `stakeholders` at
//! `0x3`, through a payload's `RegistryAdd`), and which track may do so is
//! governance's permission table (by default the stakeholders' track).
//!
//! An addition names the canonical version it expects to replace (`None`
//! for a new service). If another version became canonical since the
//! payload was written, the addition fails (`Stale`) instead of silently
//! replacing the newer one; a package already in the service's history is
//! refused too (`AlreadyListed`), so a replayed payload cannot re-point the
//! name at an old version.
//!
//! Programs look a service up with `molt_sdk::registry::canonical(name)`;
//! people with `molt registry show NAME`.
#![cfg_attr(not(test), no_std)]

#[molt_sdk::program]
pub mod registry {
    use molt_sdk::prelude::*;

    /// The longest service name.
    pub const MAX_NAME_BYTES: usize = 64;
    /// The longest version label.
    pub const MAX_LABEL_BYTES: usize = 64;

    /// One version of a service.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Version {
        /// The deployment: a package id.
        pub package: Address,
        /// A human label (`v2`, `2.1.0`).
        pub label: String,
        /// The height of the block that added it.
        pub added_height: u64,
    }

    /// A service and its canonical version.
    #[derive(BorshSerialize, BorshDeserialize, Debug, Clone, PartialEq, Eq)]
    pub struct Service {
        pub name: String,
        /// The last version added.
        pub canonical: Version,
        /// How many versions it has had.
        pub versions: u64,
    }

    #[event]
    #[derive(Debug, PartialEq, Eq)]
    pub struct VersionAdded {
        pub name: String,
        /// From 0.
        pub index: u64,
        pub package: Address,
        pub label: String,
        /// The canonical version it replaced (`None`: a new service).
        pub replaced: Option<Address>,
    }

    #[errors]
    pub enum Error {
        #[error(
            code = 1,
            message = "only governance changes the registry (a resolved payload's RegistryAdd)"
        )]
        NotGovernance,
        #[error(
            code = 2,
            message = "a service name is 1 to 64 bytes of a-z, 0-9, '.', '_' and '-'"
        )]
        BadName,
        #[error(code = 3, message = "a version label is 1 to 64 bytes")]
        BadLabel,
        #[error(
            code = 4,
            message = "stale: the service's canonical version is no longer the one this change expects to replace; write the payload against the current one (`molt registry show NAME`)"
        )]
        Stale,
        #[error(
            code = 5,
            message = "this package is already a version of the service; versions are only appended"
        )]
        AlreadyListed,
    }

    /// Index -> service name, in order of registration.
    #[storage]
    static NAMES: Map<u64, String>;
    #[storage]
    static SERVICE_COUNT: Item<u64>;
    /// Name -> how many versions.
    #[storage]
    static VERSION_COUNT: Map<String, u64>;
    /// `(name, index)` -> version.
    #[storage]
    static VERSIONS: Map<(String, u64), Version>;

    #[init]
    fn init() {
        SERVICE_COUNT.set(&0);
    }

    fn valid_name(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX_NAME_BYTES
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    }

    fn last(name: &str) -> Option<Version> {
        let count = VERSION_COUNT.get(&String::from(name)).unwrap_or(0);
        let index = count.checked_sub(1)?;
        VERSIONS.get(&(String::from(name), index))
    }

    /// Governance only: appends `package` labelled `label` to service
    /// `name`, making it canonical, if the canonical version is still
    /// `expected` (`None`: the service must be new). Returns its index.
    #[entry]
    fn add_version(
        name: String,
        package: Address,
        label: String,
        expected: Option<Address>,
    ) -> Result<u64, Error> {
        ensure!(
            framework_common::is_track(&env::caller()),
            Error::NotGovernance
        );
        ensure!(valid_name(&name), Error::BadName);
        ensure!(
            !label.is_empty() && label.len() <= MAX_LABEL_BYTES,
            Error::BadLabel
        );
        let current = last(&name).map(|v| v.package);
        ensure!(current == expected, Error::Stale);
        let count = VERSION_COUNT.get(&name).unwrap_or(0);
        for i in 0..count {
            if let Some(v) = VERSIONS.get(&(name.clone(), i)) {
                ensure!(v.package != package, Error::AlreadyListed);
            }
        }
        if count == 0 {
            let services = SERVICE_COUNT.get_or_default();
            NAMES.set(&services, &name);
            SERVICE_COUNT.set(&(services + 1));
        }
        let version = Version {
            package,
            label: label.clone(),
            added_height: context().block_height,
        };
        VERSIONS.set(&(name.clone(), count), &version);
        VERSION_COUNT.set(&name, &(count + 1));
        VersionAdded {
            name,
            index: count,
            package,
            label,
            replaced: current,
        }
        .emit();
        Ok(count)
    }

    /// The canonical package of `name` (`None`: no such service).
    #[view]
    fn canonical(name: String) -> Option<Address> {
        last(&name).map(|v| v.package)
    }

    /// The canonical version of `name`, with its label.
    #[view]
    fn canonical_version(name: String) -> Option<Version> {
        last(&name)
    }

    /// Version `index` (from 0, oldest first) of `name`.
    #[view]
    fn version(name: String, index: u64) -> Option<Version> {
        VERSIONS.get(&(name, index))
    }

    /// The package of version `index` of `name`.
    #[view]
    fn version_package(name: String, index: u64) -> Option<Address> {
        VERSIONS.get(&(name, index)).map(|v| v.package)
    }

    /// How many versions `name` has had (0: no such service).
    #[view]
    fn version_count(name: String) -> u64 {
        VERSION_COUNT.get(&name).unwrap_or(0)
    }

    /// Every version of `name`, oldest first; the last is canonical.
    #[view]
    fn history(name: String) -> Vec<Version> {
        let count = VERSION_COUNT.get(&name).unwrap_or(0);
        (0..count)
            .filter_map(|i| VERSIONS.get(&(name.clone(), i)))
            .collect()
    }

    /// How many services are registered.
    #[view]
    fn service_count() -> u64 {
        SERVICE_COUNT.get_or_default()
    }

    /// Services `start..start + limit` in order of registration (at most
    /// 100 per page).
    #[view]
    fn services(start: u64, limit: u64) -> Vec<Service> {
        let count = SERVICE_COUNT.get_or_default();
        let end = count.min(start.saturating_add(limit.min(100)));
        (start..end)
            .filter_map(|i| {
                let name = NAMES.get(&i)?;
                let canonical = last(&name)?;
                let versions = VERSION_COUNT.get(&name).unwrap_or(0);
                Some(Service {
                    name,
                    canonical,
                    versions,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::registry::{self, VersionAdded};
    use framework_common::{GOVERNANCE, REGISTRY, STAKEHOLDERS};
    use molt_sdk::Address;
    use molt_sdk::testing::TestEnv;

    const V1: Address = Address::reserved(0x101);
    const V2: Address = Address::reserved(0x102);

    fn env() -> TestEnv {
        let env = TestEnv::new();
        env.set_package(REGISTRY, REGISTRY, 1);
        env.call(registry::init).unwrap();
        env.set_caller(STAKEHOLDERS);
        env
    }

    fn add(env: &TestEnv, package: Address, expected: Option<Address>) -> Result<u64, u32> {
        env.try_call(|| registry::add_version("dex".into(), package, "v".into(), expected))
            .map_err(|e| e.code)
    }

    #[test]
    fn the_last_version_is_canonical_and_the_history_keeps_every_one() {
        let env = env();
        assert_eq!(add(&env, V1, None), Ok(0));
        env.set_block(9, 9);
        env.set_caller(GOVERNANCE);
        assert_eq!(add(&env, V2, Some(V1)), Ok(1));
        assert_eq!(
            env.call(|| registry::canonical("dex".into())).unwrap(),
            Some(V2)
        );
        let history = env.call(|| registry::history("dex".into())).unwrap();
        assert_eq!(
            history.iter().map(|v| v.package).collect::<Vec<_>>(),
            vec![V1, V2]
        );
        assert_eq!(history[1].added_height, 9);
        assert_eq!(
            env.call(|| registry::version_package("dex".into(), 0))
                .unwrap(),
            Some(V1)
        );
        let services = env.call(|| registry::services(0, 10)).unwrap();
        assert_eq!(services.len(), 1);
        assert_eq!(
            (services[0].canonical.package, services[0].versions),
            (V2, 2)
        );
        assert_eq!(
            env.events_of::<VersionAdded>().last().unwrap().replaced,
            Some(V1)
        );
    }

    #[test]
    fn a_stale_change_fails_and_changes_nothing() {
        let env = env();
        add(&env, V1, None).unwrap();
        add(&env, V2, Some(V1)).unwrap();
        let before = env.storage_entries(&REGISTRY);
        // Written when V1 was canonical: now stale.
        assert_eq!(add(&env, Address::reserved(0x103), Some(V1)), Err(4));
        // A new service must expect nothing.
        assert_eq!(add(&env, Address::reserved(0x103), None), Err(4));
        // A replay of the first addition: the package is already listed.
        assert_eq!(add(&env, V1, Some(V2)), Err(5));
        assert_eq!(env.storage_entries(&REGISTRY), before);
        assert_eq!(
            env.call(|| registry::canonical("dex".into())).unwrap(),
            Some(V2)
        );
    }

    #[test]
    fn a_program_finds_the_canonical_deployment_with_the_sdk_helper() {
        let env = env();
        env.register_program(REGISTRY, registry::__molt_dispatch);
        add(&env, V1, None).unwrap();
        add(&env, V2, Some(V1)).unwrap();
        // Some user program asks, through a cross-program call to the view.
        let user = Address::reserved(0x1234);
        env.set_package(user, user, 1);
        let found = env
            .call(|| {
                (
                    molt_sdk::registry::canonical("dex"),
                    molt_sdk::registry::version("dex", 0),
                    molt_sdk::registry::canonical("nosuch"),
                )
            })
            .unwrap();
        assert_eq!(found, (Some(V2), Some(V1), None));
    }

    #[test]
    fn only_the_tracks_change_it_and_names_are_checked() {
        let env = env();
        env.set_caller(TestEnv::ALICE);
        assert_eq!(add(&env, V1, None), Err(1));
        env.set_caller(STAKEHOLDERS);
        for bad in ["", "Dex", "dex/v1", &"x".repeat(65)] {
            let r = env.try_call(|| registry::add_version(bad.into(), V1, "v".into(), None));
            assert_eq!(r.unwrap_err().code, 2, "{bad:?}");
        }
        let r = env.try_call(|| registry::add_version("dex".into(), V1, String::new(), None));
        assert_eq!(r.unwrap_err().code, 3);
        assert_eq!(env.call(registry::service_count).unwrap(), 0);
    }
}
