//! Database access: the connection pool (password or RDS IAM auth, TLS), migrations, and the
//! statement helpers every handler uses.

pub mod iam;
pub mod migrate;
pub mod pool;
pub mod query;
mod tls;

pub use pool::{Conn, Pool, build_pool};
pub use query::Db;

/// Maps an enum to a `text` column through its `as_str` and `FromStr`, so rows and parameters
/// carry the enum itself (a value outside the enum fails the row's decoding, not a handler).
/// Maps a serde type to a `jsonb` column (e.g. a project's weekly schedule).
#[macro_export]
macro_rules! json_column {
    ($t:ty) => {
        impl<'a> ::postgres_types::FromSql<'a> for $t {
            fn from_sql(
                ty: &::postgres_types::Type,
                raw: &'a [u8],
            ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
                Ok(<::postgres_types::Json<$t> as ::postgres_types::FromSql>::from_sql(ty, raw)?.0)
            }

            fn accepts(ty: &::postgres_types::Type) -> bool {
                <::postgres_types::Json<$t> as ::postgres_types::FromSql>::accepts(ty)
            }
        }
    };
}

#[macro_export]
macro_rules! text_column {
    ($t:ty) => {
        impl<'a> ::postgres_types::FromSql<'a> for $t {
            fn from_sql(
                ty: &::postgres_types::Type,
                raw: &'a [u8],
            ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
                Ok(<&str as ::postgres_types::FromSql>::from_sql(ty, raw)?.parse()?)
            }

            fn accepts(ty: &::postgres_types::Type) -> bool {
                <&str as ::postgres_types::FromSql>::accepts(ty)
            }
        }

        impl ::postgres_types::ToSql for $t {
            fn to_sql(
                &self,
                ty: &::postgres_types::Type,
                out: &mut ::postgres_types::private::BytesMut,
            ) -> Result<::postgres_types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
                ::postgres_types::ToSql::to_sql(&self.as_str(), ty, out)
            }

            fn accepts(ty: &::postgres_types::Type) -> bool {
                <&str as ::postgres_types::ToSql>::accepts(ty)
            }

            ::postgres_types::to_sql_checked!();
        }
    };
}
