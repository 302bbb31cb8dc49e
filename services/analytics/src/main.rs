//! `kuaidi-analytics`: loads settings, starts telemetry, serves until SIGTERM.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kuaidi_shared::telemetry::init(kuaidi_analytics::SERVICE);
    let settings = kuaidi_analytics::configuration::load()?;
    kuaidi_analytics::build(settings)
        .await?
        .run_until_stopped()
        .await
}
