//! Integration tests for molt-types: golden encodings and codec properties.

mod golden;
mod properties;
