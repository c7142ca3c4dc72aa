//! The Wasm runtime pieces every program needs: the global allocator, the
//! `molt_alloc` export and the panic handler.
//!
//! # Where the heap comes from
//!
//! The linker lays memory out as shadow stack, then data, then `__heap_base`,
//! and declares enough initial pages to hold them; the rest of the last
//! initial page is unused. The allocator ([`InitialPagesThenGrow`]) first
//! claims that tail, `__heap_base` up to the end of the initial memory, and
//! only when it is used up grows memory with `memory.grow`, extending the
//! same heap. Every call runs in a fresh instance, so a call that needs no
//! more than the tail (a token transfer needs a few hundred bytes) never
//! grows memory: growing costs gas (wasmi charges the bytes it adds) and
//! host time (the node reallocates and zeroes the memory).

use alloc::string::String;
use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;

use talc::base::Talc;
use talc::base::binning::Binning;
use talc::cell::TalcSyncCell;
use talc::source::Source;
use talc::wasm::WasmBinning;

const PAGE_SIZE: usize = 64 * 1024;

unsafe extern "C" {
    /// The first byte after the stack and static data, set by the linker.
    static __heap_base: u8;
}

/// Talc's memory source: the unused tail of the initial memory, then
/// pages from `memory.grow`, as one heap (see the module docs). The node
/// bounds growth.
#[derive(Debug)]
struct InitialPagesThenGrow {
    /// The end of the heap claimed so far; `None` before the first claim.
    end: Option<NonNull<u8>>,
}

// SAFETY: `acquire` only claims memory no one else uses (the tail above
// `__heap_base`, and pages it has just grown) and never allocates.
unsafe impl Source for InitialPagesThenGrow {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let memory_end = core::arch::wasm32::memory_size::<0>() * PAGE_SIZE;
        if talc.source.end.is_none() {
            let base = &raw const __heap_base as usize;
            if base < memory_end {
                // SAFETY: nothing in the module uses memory above
                // `__heap_base`; the host writes there only into blocks
                // `molt_alloc` allocated.
                talc.source.end = unsafe { talc.claim(base as *mut u8, memory_end - base) };
                if talc.source.end.is_some() {
                    return Ok(());
                }
            }
        }
        grow(talc, layout, memory_end)
    }
}

/// Grows memory by enough pages for `layout` (with room for the
/// allocator's own tags) and extends the heap over them, or claims them as
/// a new heap when they do not follow it.
fn grow<B: Binning>(
    talc: &mut Talc<InitialPagesThenGrow, B>,
    layout: Layout,
    memory_end: usize,
) -> Result<(), ()> {
    let needed = layout
        .size()
        .saturating_add(layout.align())
        .saturating_add(4 * talc::base::CHUNK_UNIT);
    let pages = needed.div_ceil(PAGE_SIZE);
    if core::arch::wasm32::memory_grow::<0>(pages) == usize::MAX {
        return Err(());
    }
    let new_end = memory_end.saturating_add(pages * PAGE_SIZE);
    talc.source.end = match talc.source.end {
        // SAFETY: `end..new_end` is the memory just grown, used by no one.
        Some(end) if end.as_ptr() as usize == memory_end => {
            Some(unsafe { talc.extend(end, new_end as *mut u8) })
        }
        // SAFETY: as above.
        _ => unsafe { talc.claim(memory_end as *mut u8, pages * PAGE_SIZE) },
    };
    if talc.source.end.is_some() {
        Ok(())
    } else {
        Err(())
    }
}

#[global_allocator]
static ALLOCATOR: TalcSyncCell<InitialPagesThenGrow, WasmBinning> =
    TalcSyncCell::new_wasm(InitialPagesThenGrow { end: None });

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
