//! `kuaidi-customers`: loads settings, starts telemetry, serves until SIGTERM.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kuaidi_shared::telemetry::init(kuaidi_customers::SERVICE);
    let settings = kuaidi_customers::configuration::load()?;
    kuaidi_customers::build(settings)
        .await?
        .run_until_stopped()
        .await
}
