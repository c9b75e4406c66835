//! Real clusters from the installed PostgreSQL binaries: start, stop, clone, and never outlive
//! their owner.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use devdb::{Cluster, ClusterOptions, clone_database, create_database, sweep_stale};

fn base() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("devdb-tests")
}

async fn query_i64(url: &str, sql: &str) -> i64 {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client.query_one(sql, &[]).await.unwrap().get(0)
}

fn process_alive(pid: u32) -> bool {
    PathBuf::from(format!("/proc/{pid}")).exists()
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| !s.contains(") Z "))
            .unwrap_or(false)
}

#[tokio::test]
async fn started_cluster_answers_and_stop_removes_it() {
    let cluster = Cluster::start(ClusterOptions::new(base(), "answer"))
        .await
        .unwrap();
    assert_eq!(
        query_i64(&cluster.url("postgres"), "SELECT 1::bigint").await,
        1
    );
    let pid = cluster.pid();
    // The cluster's own directory: the base may be unreachable for the server's user (a
    // checkout under /root, say), and then the cluster lives under the temp dir instead.
    let dir = cluster.dir().to_path_buf();
    assert!(
        dir.exists(),
        "{} does not exist while running",
        dir.display()
    );
    cluster.stop().await;
    assert!(
        !process_alive(pid),
        "postgres {pid} still running after stop"
    );
    assert!(
        !dir.exists(),
        "the cluster directory {} was not removed",
        dir.display()
    );
}

#[tokio::test]
async fn two_clusters_get_different_ports() {
    let (a, b) = tokio::join!(
        Cluster::start(ClusterOptions::new(base(), "pair")),
        Cluster::start(ClusterOptions::new(base(), "pair"))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.port(), b.port());
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn twenty_concurrent_clones_each_see_the_template_data() {
    let cluster = Cluster::start(ClusterOptions::new(base(), "clones"))
        .await
        .unwrap();
    let admin = cluster.url("postgres");
    create_database(&admin, "template_source").await.unwrap();
    {
        let (client, conn) =
            tokio_postgres::connect(&cluster.url("template_source"), tokio_postgres::NoTls)
                .await
                .unwrap();
        let task = tokio::spawn(conn);
        client
            .batch_execute("CREATE TABLE t (v int); INSERT INTO t VALUES (42);")
            .await
            .unwrap();
        drop(client);
        task.await.unwrap().unwrap();
    }
    let clones = (0..20).map(|i| {
        let admin = admin.clone();
        async move { clone_database(&admin, "template_source", &format!("clone_{i}")).await }
    });
    for result in join_all(clones).await {
        result.unwrap();
    }
    for i in 0..20 {
        let v = query_i64(
            &cluster.url(&format!("clone_{i}")),
            "SELECT v::bigint FROM t",
        )
        .await;
        assert_eq!(v, 42, "clone_{i}");
    }
    cluster.stop().await;
}

async fn join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[test]
fn killed_owner_takes_its_postgres_down() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_devdb"))
        .env("DEVDB_DIR", base())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut pid = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(p) = line.strip_prefix("POSTMASTER_PID=") {
            pid = Some(p.trim().parse::<u32>().unwrap());
            break;
        }
    }
    let pid = pid.expect("the child never reported a postmaster");
    assert!(process_alive(pid));
    child.kill().unwrap(); // SIGKILL: no destructor, no cleanup code runs
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !process_alive(pid),
        "postgres {pid} outlived its killed owner"
    );
}

#[test]
fn sweep_removes_directories_of_dead_owners_only() {
    let base = base().join("sweep");
    let dead = base.join("dead-owner");
    let live = base.join("live-owner");
    std::fs::create_dir_all(&dead).unwrap();
    std::fs::create_dir_all(&live).unwrap();
    // A pid far above any pid_max in use is never alive.
    std::fs::write(dead.join("owner.pid"), "2147483000").unwrap();
    std::fs::write(live.join("owner.pid"), std::process::id().to_string()).unwrap();
    sweep_stale(&base);
    assert!(!dead.exists(), "stale directory kept");
    assert!(live.exists(), "live owner's directory removed");
    std::fs::remove_dir_all(&base).unwrap();
}

#[tokio::test]
async fn a_halted_cluster_resumes_with_its_data() {
    let mut cluster = Cluster::start(ClusterOptions::new(base(), "resume"))
        .await
        .unwrap();
    let url = cluster.url("postgres");
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
        .await
        .unwrap();
    drop(client);
    cluster.halt();
    assert!(
        tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .is_err()
    );
    cluster.resume().await.unwrap();
    assert_eq!(query_i64(&url, "SELECT n::bigint FROM kept").await, 7);
    cluster.stop().await;
}
