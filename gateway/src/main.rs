//! `kuaidi-gateway`: loads settings, starts telemetry, serves until SIGTERM.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kuaidi_shared::telemetry::init("gateway");
    let settings = kuaidi_gateway::configuration::load_settings()?;
    kuaidi_gateway::build(settings)
        .await?
        .run_until_stopped()
        .await
}
