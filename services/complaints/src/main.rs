//! `kuaidi-complaints`: loads settings, starts telemetry, serves until SIGTERM.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    kuaidi_shared::telemetry::init(kuaidi_complaints::SERVICE);
    let settings = kuaidi_complaints::configuration::load()?;
    kuaidi_complaints::build(settings)
        .await?
        .run_until_stopped()
        .await
}
