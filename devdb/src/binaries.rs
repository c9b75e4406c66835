//! Finding the PostgreSQL server binaries (`initdb`, `postgres`) on this machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::bail;

#[derive(Debug, Clone)]
pub struct PgBinaries {
    pub dir: PathBuf,
}

impl PgBinaries {
    pub fn initdb(&self) -> PathBuf {
        self.dir.join("initdb")
    }

    pub fn postgres(&self) -> PathBuf {
        self.dir.join("postgres")
    }
}

fn usable(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}

/// The numeric version in a path such as `/usr/lib/postgresql/15/bin`, for picking the newest.
fn version_of(dir: &Path) -> u32 {
    dir.components()
        .filter_map(|c| c.as_os_str().to_str())
        .filter_map(|s| s.trim_start_matches("postgresql@").parse::<u32>().ok())
        .next_back()
        .unwrap_or(0)
}

fn globbed(parent: &str, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path().join(suffix))
        .filter(|p| usable(p))
        .collect()
}

/// `PG_BIN_DIR`, then `pg_config --bindir`, then the usual install locations (newest first).
pub fn find_binaries() -> anyhow::Result<PgBinaries> {
    if let Some(dir) = std::env::var_os("PG_BIN_DIR") {
        let dir = PathBuf::from(dir);
        if usable(&dir) {
            return Ok(PgBinaries { dir });
        }
        bail!(
            "PG_BIN_DIR={} has no initdb and postgres binaries",
            dir.display()
        );
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if usable(&dir) {
            return Ok(PgBinaries { dir });
        }
    }
    let mut candidates = globbed("/usr/lib/postgresql", "bin");
    candidates.extend(
        globbed("/opt/homebrew/opt", "bin")
            .into_iter()
            .filter(|p| p.to_string_lossy().contains("postgresql")),
    );
    candidates.extend(
        globbed("/usr/local/opt", "bin")
            .into_iter()
            .filter(|p| p.to_string_lossy().contains("postgresql")),
    );
    for fixed in ["/usr/local/pgsql/bin", "/usr/pgsql/bin", "/usr/bin"] {
        let p = PathBuf::from(fixed);
        if usable(&p) {
            candidates.push(p);
        }
    }
    candidates.sort_by_key(|p| std::cmp::Reverse(version_of(p)));
    match candidates.into_iter().next() {
        Some(dir) => Ok(PgBinaries { dir }),
        None => bail!(
            "PostgreSQL server binaries (initdb, postgres) were not found.\n\
             Install them, or point DATABASE_URL at a PostgreSQL you already run:\n  \
             Debian/Ubuntu: sudo apt-get install postgresql\n  \
             Fedora:        sudo dnf install postgresql-server\n  \
             macOS:         brew install postgresql@16\n\
             If they are installed somewhere unusual, set PG_BIN_DIR to their directory."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_install_paths() {
        assert_eq!(version_of(Path::new("/usr/lib/postgresql/15/bin")), 15);
        assert_eq!(
            version_of(Path::new("/opt/homebrew/opt/postgresql@16/bin")),
            16
        );
        assert_eq!(version_of(Path::new("/usr/local/pgsql/bin")), 0);
    }
}
