-- Model artifacts in Postgres (issue 22): a process on another machine, with an empty DATA_DIR,
-- gets a version's files from here instead of a path on the trainer's disk.

-- One row per file of a version's folder ("model.onnx", "idf.bin", "meta.json", …).
CREATE TABLE "ModelArtifact" (
    "modelVersionId" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "size" BIGINT NOT NULL,

    CONSTRAINT "ModelArtifact_pkey" PRIMARY KEY ("modelVersionId", "path"),
    CONSTRAINT "ModelArtifact_size_check" CHECK ("size" >= 0)
);
ALTER TABLE "ModelArtifact" ADD CONSTRAINT "ModelArtifact_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The bytes, in pieces of at most 1 MiB (seq 0, 1, …): every statement stays short, also over a slow
-- link and under DATABASE_TIMEOUT_MS. ONNX weights do not compress: stored without trying to.
CREATE TABLE "ModelArtifactPart" (
    "modelVersionId" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,

    CONSTRAINT "ModelArtifactPart_pkey" PRIMARY KEY ("modelVersionId", "path", "seq")
);
ALTER TABLE "ModelArtifactPart" ALTER COLUMN "bytes" SET STORAGE EXTERNAL;
ALTER TABLE "ModelArtifactPart" ADD CONSTRAINT "ModelArtifactPart_modelVersionId_path_fkey" FOREIGN KEY ("modelVersionId", "path") REFERENCES "ModelArtifact"("modelVersionId", "path") ON DELETE CASCADE ON UPDATE CASCADE;

-- The absolute path stops being where a version's files are. Existing versions keep it as
-- "legacyArtifactPath" until a server started where those files exist imports them (at start,
-- src/models/registry.ts importLegacyArtifacts) and clears it; new versions never have one.
ALTER TABLE "ModelVersion" RENAME COLUMN "artifactPath" TO "legacyArtifactPath";
ALTER TABLE "ModelVersion" ALTER COLUMN "legacyArtifactPath" DROP NOT NULL;
