//! A bounded, stable-Rust run of the fuzz targets in `/work/main/fuzz`
//! (`interface_decode`, `module_validate`): seeded random inputs and
//! mutations of a valid module go through the same functions, which must
//! return (an error is fine) and never panic. Modules that survive
//! mutation are also called, with little gas.
//!
//! Reseed with `SEED=<u64>`; the seed is printed on failure.

use crate::support::{addr, kitchen_sink, kitchen_sink_interface};
use molt_vm::{CallContext, CallTarget, MemoryHost, PackageInfo, Vm, VmConfig};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

/// Wall-clock budget; the run also stops after `MAX_CASES`.
const BUDGET: Duration = Duration::from_secs(8);
const MAX_CASES: u32 = 20_000;

fn seed() -> u64 {
    std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6d6f_6c74)
}

/// The `interface_decode` fuzz target.
fn interface_decode(bytes: &[u8]) {
    if let Ok(interface) = molt_interface::decode_section(bytes) {
        let _ = interface.validate();
    }
}

/// The `module_validate` fuzz target, plus a cheap call of what prepares.
fn module_validate(vm: &Vm, bytes: &[u8]) -> bool {
    let Ok(module) = vm.prepare(bytes) else {
        return false;
    };
    let mut host = MemoryHost::new();
    let ctx = CallContext {
        caller: addr(9),
        origin: addr(9),
        block_height: 1,
        block_time_ms: 0,
        package: PackageInfo {
            package_id: addr(1),
            original_id: addr(2),
            version: 1,
            edition: 0,
            owner: addr(3),
            checksum: module.checksum(),
        },
        ticket_call: false,
        attached_coin: 0,
    };
    let names: Vec<String> = module
        .interface()
        .functions
        .iter()
        .map(|f| f.name.clone())
        .collect();
    for name in names.iter().take(4) {
        let _ = vm.call(
            &module,
            &mut host,
            ctx.clone(),
            &CallTarget::Function(name.clone()),
            b"abcd",
            20_000,
        );
    }
    true
}

fn mutate(rng: &mut ChaCha8Rng, valid: &[u8], donor: &[u8]) -> Vec<u8> {
    let mut m = valid.to_vec();
    for _ in 0..rng.gen_range(1..4) {
        if m.is_empty() {
            break;
        }
        match rng.gen_range(0..6) {
            0 => {
                // Flip a few bits.
                for _ in 0..rng.gen_range(1..8) {
                    let i = rng.gen_range(0..m.len());
                    m[i] ^= 1 << rng.gen_range(0..8);
                }
            }
            1 => m.truncate(rng.gen_range(0..m.len())),
            2 => {
                // Splice a slice of another valid module in.
                let start = rng.gen_range(0..donor.len());
                let end = rng.gen_range(start..=donor.len().min(start + 64));
                let at = rng.gen_range(0..=m.len());
                m.splice(at..at, donor[start..end].iter().copied());
            }
            3 => {
                // Overwrite with an interesting byte (LEB128 continuation,
                // section ids, type codes).
                let i = rng.gen_range(0..m.len());
                m[i] = [0x00, 0x7f, 0x80, 0xff, 0x7d, 0x7c, 0x60, 0x0b][rng.gen_range(0..8)];
            }
            4 => {
                let start = rng.gen_range(0..m.len());
                let end = rng.gen_range(start..=m.len());
                m.drain(start..end);
            }
            _ => {
                let i = rng.gen_range(0..m.len());
                let b = m[i];
                m.insert(i, b);
            }
        }
    }
    m
}

#[test]
fn untrusted_bytes_never_panic() {
    let seed = seed();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let vm = Vm::new(VmConfig::default()).unwrap();
    let valid = kitchen_sink();
    let donor = crate::support::minimal(
        r#"(func (export "molt:fn:run") (local i64) (local.set 0 (i64.const 5)))"#,
        vec![],
    );
    let section = borsh::to_vec(&kitchen_sink_interface()).unwrap();

    let started = Instant::now();
    let (mut cases, mut prepared) = (0u32, 0u32);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        while cases < MAX_CASES && started.elapsed() < BUDGET {
            cases += 1;
            match cases % 4 {
                0 => {
                    let len = rng.gen_range(0..512);
                    let mut bytes = vec![0u8; len];
                    rng.fill_bytes(&mut bytes);
                    if rng.gen_bool(0.5) && bytes.len() >= 8 {
                        bytes[..8].copy_from_slice(b"\0asm\x01\0\0\0");
                    }
                    interface_decode(&bytes);
                    prepared += u32::from(module_validate(&vm, &bytes));
                }
                1 => interface_decode(&mutate(&mut rng, &section, &section)),
                _ => prepared += u32::from(module_validate(&vm, &mutate(&mut rng, &valid, &donor))),
            }
        }
    }));
    assert!(outcome.is_ok(), "panic with SEED={seed} at case {cases}");
    eprintln!(
        "robustness: {cases} cases in {:?}, {prepared} mutated modules prepared (SEED={seed})",
        started.elapsed()
    );
    assert!(cases >= 500, "too few cases ran: {cases}");
}
