//! The `provisioner` program (`mrap_provisioner::main_from_env`, as `crates/provisioner`'s
//! `main.rs`) as a binary of this package, so that the crash test gets it from cargo
//! (`CARGO_BIN_EXE_e2e-provisioner`): built fresh, with the features of the test build, without a
//! second `cargo build` of the workspace from inside the test.
#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mrap_provisioner::main_from_env().await
}
