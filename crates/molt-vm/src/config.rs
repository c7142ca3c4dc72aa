//! Limits and gas prices of the VM. Every field is consensus: nodes of one
//! network must run with identical values (docs/gas-schedule.md).

use crate::error::ConfigError;

/// One Wasm page: 64 KiB.
pub const WASM_PAGE_SIZE: usize = 65_536;

/// The VM's limits. Construct with [`VmConfig::default`] and adjust fields;
/// [`Vm::new`](crate::Vm::new) calls [`VmConfig::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmConfig {
    /// Largest module accepted by `prepare`, in bytes.
    pub max_module_size: usize,
    /// Largest `molt:interface` custom section, in bytes.
    pub max_interface_size: usize,
    /// Largest linear memory, in 64 KiB pages, declared or grown.
    pub max_memory_pages: u32,
    /// Deepest nesting of cross-program calls; the transaction's own call is
    /// depth 1.
    pub max_call_depth: u32,
    /// Deepest nesting of Wasm function calls within one module instance
    /// (wasmi's recursion limit).
    pub max_recursion_depth: usize,
    /// Largest wasmi value stack, in bytes.
    pub max_value_stack_bytes: usize,
    /// Largest gas limit a caller may give one top-level call.
    pub max_gas_per_call: u64,
    /// Largest storage key, in bytes.
    pub max_key_size: usize,
    /// Largest storage value, in bytes.
    pub max_value_size: usize,
    /// Largest event (name plus data), in bytes.
    pub max_event_size: usize,
    /// Largest result of a call (`molt.return_data`), and of arguments of a
    /// cross-program call, in bytes.
    pub max_return_size: usize,
    /// Largest `molt.abort` message kept, in bytes; longer messages are cut.
    pub max_abort_message: usize,
    /// How many prepared modules the cache keeps.
    pub module_cache_capacity: usize,
    /// Gas prices of host calls.
    pub gas: GasSchedule,
}

impl Default for VmConfig {
    fn default() -> Self {
        VmConfig {
            max_module_size: 512 * 1024,
            max_interface_size: 64 * 1024,
            max_memory_pages: 16,
            max_call_depth: molt_host_rules::DEFAULT_MAX_CALL_DEPTH,
            max_recursion_depth: 1024,
            max_value_stack_bytes: 1024 * 1024,
            max_gas_per_call: 1_000_000_000,
            max_key_size: 1024,
            max_value_size: 256 * 1024,
            max_event_size: 64 * 1024,
            max_return_size: 256 * 1024,
            max_abort_message: 1024,
            module_cache_capacity: 256,
            gas: GasSchedule::default(),
        }
    }
}

impl VmConfig {
    /// Checks that the limits are usable: nothing that must be positive is
    /// zero, memory fits wasm32, the stack fits wasmi's minimum.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive: [(&'static str, usize); 9] = [
            ("max_module_size", self.max_module_size),
            ("max_interface_size", self.max_interface_size),
            ("max_recursion_depth", self.max_recursion_depth),
            ("max_key_size", self.max_key_size),
            ("max_value_size", self.max_value_size),
            ("max_event_size", self.max_event_size),
            ("max_return_size", self.max_return_size),
            ("module_cache_capacity", self.module_cache_capacity),
            ("max_memory_pages", self.max_memory_pages as usize),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(ConfigError {
                    field,
                    problem: "must be positive",
                });
            }
        }
        if self.max_memory_pages > 65_536 {
            return Err(ConfigError {
                field: "max_memory_pages",
                problem: "must be at most 65536 (4 GiB, the wasm32 address space)",
            });
        }
        if self.max_interface_size > molt_interface::MAX_INTERFACE_BYTES {
            return Err(ConfigError {
                field: "max_interface_size",
                problem: "must be at most molt_interface::MAX_INTERFACE_BYTES (64 KiB), the decoder's own limit",
            });
        }
        if self.max_call_depth == 0 {
            return Err(ConfigError {
                field: "max_call_depth",
                problem: "must be at least 1",
            });
        }
        if self.max_value_stack_bytes < MIN_VALUE_STACK_BYTES {
            return Err(ConfigError {
                field: "max_value_stack_bytes",
                problem: "must be at least 1000 bytes (wasmi's initial stack)",
            });
        }
        if self.max_gas_per_call == 0 {
            return Err(ConfigError {
                field: "max_gas_per_call",
                problem: "must be positive",
            });
        }
        Ok(())
    }

    pub(crate) fn max_memory_bytes(&self) -> usize {
        (self.max_memory_pages as usize).saturating_mul(WASM_PAGE_SIZE)
    }
}

/// wasmi's default initial value stack height; the maximum may not be lower.
pub(crate) const MIN_VALUE_STACK_BYTES: usize = 1_000;

/// Gas prices of host calls, in gas units (1 gas = 1 wasmi fuel unit, which
/// is about one executed Wasm instruction). See docs/gas-schedule.md for
/// the reasoning behind each price.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct GasSchedule {
    /// Charged on entry to every host function.
    pub host_call: u64,
    /// Per byte copied between linear memory and the host (arguments,
    /// `buffer_read`, `return_data`, keys and names read from memory).
    pub copy_per_byte: u64,
    /// `storage_get`, `storage_has`, `storage_next`, `storage_get_foreign`.
    pub storage_read: u64,
    /// Per byte of key and value read from storage.
    pub storage_read_per_byte: u64,
    /// `storage_set`.
    pub storage_write: u64,
    /// Per byte of key and value written.
    pub storage_write_per_byte: u64,
    /// `storage_remove`.
    pub storage_remove: u64,
    /// `emit_event`.
    pub event: u64,
    /// Per byte of event name and data.
    pub event_per_byte: u64,
    /// `call`, on top of the callee's own gas.
    pub call: u64,
}

impl Default for GasSchedule {
    fn default() -> Self {
        GasSchedule {
            host_call: 100,
            copy_per_byte: 1,
            storage_read: 2_000,
            storage_read_per_byte: 2,
            storage_write: 10_000,
            storage_write_per_byte: 20,
            storage_remove: 5_000,
            event: 1_000,
            event_per_byte: 5,
            call: 10_000,
        }
    }
}

/// `base + per_byte * len`, saturating: a price never wraps.
pub(crate) fn price(base: u64, per_byte: u64, len: usize) -> u64 {
    base.saturating_add(per_byte.saturating_mul(len as u64))
}
