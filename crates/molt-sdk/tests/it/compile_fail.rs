//! Misuse that must not compile, each case in `tests/ui/` with the compiler
//! output it must give (`.stderr`, which shows the line and the column the
//! error points at). Regenerate on purpose with `TRYBUILD=overwrite`.

#[test]
fn misuse_is_a_compile_error_at_the_offending_code() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
