#[tokio::main]
async fn main() -> anyhow::Result<()> {
    mrap_provisioner::main_from_env().await
}
