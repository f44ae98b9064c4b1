//! The evidence object store adapter: a local directory by default, any S3-compatible service
//! at scale, both through the `object_store` crate. Implements
//! `palisade_app::evidence::ObjectStorage`, the port the app owns.

use async_trait::async_trait;
use bytes::Bytes;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use palisade_app::evidence::{ObjectStorage, Objects};
use std::sync::Arc;

/// An S3-compatible bucket. Credentials come from the environment (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`), never from a configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// For services other than AWS (MinIO, Ceph, ...): `http://127.0.0.1:9000`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
}

/// Documents in an `object_store` backend.
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    description: String,
}

impl Storage {
    /// A directory on this machine (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create evidence directory {}: {e}", dir.display()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| format!("evidence directory: {e}"))?;
        Ok(Self {
            store: Arc::new(store),
            description: format!("local directory {}", dir.display()),
        })
    }

    /// A bucket of an S3-compatible service.
    pub fn s3(s: &S3Settings) -> Result<Self, String> {
        let mut b = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(&s.bucket);
        if let Some(e) = &s.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        if let Some(r) = &s.region {
            b = b.with_region(r);
        }
        let store = b.build().map_err(|e| format!("evidence bucket: {e}"))?;
        Ok(Self {
            store: Arc::new(store),
            description: format!("S3 bucket {}", s.bucket),
        })
    }

    /// The app's evidence store over this storage, refusing documents over `max_bytes`.
    pub fn into_objects(self, max_bytes: usize) -> Objects {
        Objects::new(Arc::new(self), max_bytes)
    }
}

#[async_trait]
impl ObjectStorage for Storage {
    fn description(&self) -> String {
        self.description.clone()
    }

    async fn put(&self, key: &str, bytes: Bytes) -> Result<(), String> {
        self.store
            .put(&ObjectPath::from(key), PutPayload::from_bytes(bytes))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn get(&self, key: &str) -> Result<Bytes, String> {
        let got = self
            .store
            .get(&ObjectPath::from(key))
            .await
            .map_err(|e| e.to_string())?;
        got.bytes().await.map_err(|e| e.to_string())
    }

    async fn delete(&self, key: &str) -> Result<(), String> {
        self.store
            .delete(&ObjectPath::from(key))
            .await
            .map_err(|e| e.to_string())
    }
}
