//! The Wasm runtime pieces every program needs: the global allocator, the
//! `molt_alloc` export and the panic handler.

use alloc::string::String;
use core::alloc::{GlobalAlloc, Layout};

// Talc grows linear memory on demand (memory.grow); the node bounds growth.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// `molt_alloc(len) -> ptr`: the host places call arguments here. The block
/// is never freed; it lives until the call's instance is dropped.
#[unsafe(no_mangle)]
pub extern "C" fn molt_alloc(len: i32) -> i32 {
    let size = usize::try_from(len).unwrap_or(0).max(1);
    let Ok(layout) = Layout::from_size_align(size, 1) else {
        crate::sys::abort(0, "molt_alloc: invalid length")
    };
    // SAFETY: `layout` has a non-zero size.
    let ptr = unsafe { ALLOCATOR.alloc(layout) };
    if ptr.is_null() {
        crate::sys::abort(0, "molt_alloc: out of memory");
    }
    ptr as usize as i32
}

/// Panics abort the call with code 0 and the panic message. Only messages
/// that are plain strings (overflow, `unwrap`, `expect`, `panic!("..")`) are
/// passed on: formatting the others would link `core::fmt` into every module.
/// The location is left out: it would put build paths into the message.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut msg = String::from("panic: ");
    msg.push_str(
        info.message()
            .as_str()
            .unwrap_or("(formatted message omitted)"),
    );
    crate::sys::abort(0, &msg)
}
