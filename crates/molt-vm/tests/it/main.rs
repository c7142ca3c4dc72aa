//! Integration tests of molt-vm: programs in WAT with their interface
//! appended, run against `MemoryHost`.

mod cache;
mod calls;
mod examples;
mod rejections;
mod robustness;
mod support;
mod upgrade_tickets;
