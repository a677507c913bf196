//! OCSF findings as one Parquet file (Snappy-compressed, one row group), with the column
//! names of the OCSF Security Finding class (pure).

use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, Int32Array, Int64Array, ListArray, RecordBatch, StringArray, StructArray,
};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{ArrowError, DataType, Field, Fields, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use super::ocsf::{Finding, Observable};

/// Why a batch could not be written as Parquet (a bug, not a property of the alerts).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParquetFileError {
    /// The columns did not fit the schema.
    #[error("building the OCSF columns: {0}")]
    Arrow(#[from] ArrowError),
    /// The Parquet writer failed.
    #[error("writing the Parquet file: {0}")]
    Parquet(#[from] ParquetError),
}

fn utf8(name: &str) -> Field {
    Field::new(name, DataType::Utf8, false)
}

fn int32(name: &str) -> Field {
    Field::new(name, DataType::Int32, false)
}

fn int64(name: &str) -> Field {
    Field::new(name, DataType::Int64, false)
}

/// A list of strings (Parquet's three-level `LIST`).
fn strings(name: &str) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        false,
    )
}

fn finding_fields() -> Fields {
    Fields::from(vec![
        int64("created_time"),
        utf8("desc"),
        utf8("title"),
        strings("types"),
        utf8("uid"),
    ])
}

fn product_fields() -> Fields {
    Fields::from(vec![utf8("vendor_name"), utf8("name")])
}

fn metadata_fields() -> Fields {
    Fields::from(vec![
        utf8("version"),
        Field::new("product", DataType::Struct(product_fields()), false),
        strings("labels"),
    ])
}

fn observable_fields() -> Fields {
    Fields::from(vec![
        utf8("name"),
        utf8("type"),
        int32("type_id"),
        utf8("value"),
    ])
}

fn observable_item() -> Arc<Field> {
    Arc::new(Field::new(
        "item",
        DataType::Struct(observable_fields()),
        true,
    ))
}

/// The schema: falcosidekick's columns, in its order.
pub(crate) fn schema() -> Schema {
    Schema::new(vec![
        int32("activity_id"),
        utf8("activity_name"),
        utf8("category_name"),
        int32("category_uid"),
        utf8("class_name"),
        int32("class_uid"),
        Field::new("finding", DataType::Struct(finding_fields()), false),
        utf8("message"),
        Field::new("metadata", DataType::Struct(metadata_fields()), false),
        Field::new("observables", DataType::List(observable_item()), false),
        utf8("raw_data"),
        utf8("severity"),
        int32("severity_id"),
        utf8("state"),
        int32("state_id"),
        utf8("status"),
        int64("time"),
        utf8("type_name"),
        int32("type_uid"),
    ])
}

/// A column of one value per finding.
fn column<T, A>(findings: &[Finding], get: impl Fn(&Finding) -> T) -> ArrayRef
where
    A: From<Vec<T>> + arrow_array::Array + 'static,
{
    Arc::new(A::from(findings.iter().map(get).collect::<Vec<T>>()))
}

fn text<'a>(findings: &'a [Finding], get: impl Fn(&'a Finding) -> &'a str) -> ArrayRef {
    Arc::new(StringArray::from(
        findings.iter().map(get).collect::<Vec<&str>>(),
    ))
}

fn int32s(findings: &[Finding], get: impl Fn(&Finding) -> i32) -> ArrayRef {
    column::<i32, Int32Array>(findings, get)
}

fn int64s(findings: &[Finding], get: impl Fn(&Finding) -> i64) -> ArrayRef {
    column::<i64, Int64Array>(findings, get)
}

fn string_lists<'a>(
    findings: &'a [Finding],
    get: impl Fn(&'a Finding) -> &'a [String],
) -> ArrayRef {
    let mut lists = ListBuilder::new(StringBuilder::new());
    for f in findings {
        for s in get(f) {
            lists.values().append_value(s);
        }
        lists.append(true);
    }
    Arc::new(lists.finish())
}

fn observables(findings: &[Finding]) -> Result<ArrayRef, ArrowError> {
    let all: Vec<&Observable> = findings.iter().flat_map(|f| &f.observables).collect();
    let values = StructArray::try_new(
        observable_fields(),
        vec![
            Arc::new(StringArray::from_iter_values(all.iter().map(|o| &o.name))) as ArrayRef,
            Arc::new(StringArray::from_iter_values(all.iter().map(|o| o.kind))),
            Arc::new(Int32Array::from_iter_values(all.iter().map(|o| o.type_id))),
            Arc::new(StringArray::from_iter_values(all.iter().map(|o| &o.value))),
        ],
        None,
    )?;
    let offsets = OffsetBuffer::from_lengths(findings.iter().map(|f| f.observables.len()));
    Ok(Arc::new(ListArray::try_new(
        observable_item(),
        offsets,
        Arc::new(values),
        None,
    )?))
}

/// The findings as a record batch of [`schema`].
pub(crate) fn record_batch(findings: &[Finding]) -> Result<RecordBatch, ArrowError> {
    let finding = StructArray::try_new(
        finding_fields(),
        vec![
            int64s(findings, |f| f.finding_created_time),
            text(findings, |f| &f.finding_desc),
            text(findings, |f| &f.finding_title),
            string_lists(findings, |f| &f.finding_types),
            text(findings, |f| &f.finding_uid),
        ],
        None,
    )?;
    let product = StructArray::try_new(
        product_fields(),
        vec![
            text(findings, |f| f.metadata_product_vendor_name),
            text(findings, |f| f.metadata_product_name),
        ],
        None,
    )?;
    let metadata = StructArray::try_new(
        metadata_fields(),
        vec![
            text(findings, |f| f.metadata_version),
            Arc::new(product),
            string_lists(findings, |f| &f.metadata_labels),
        ],
        None,
    )?;
    RecordBatch::try_new(
        Arc::new(schema()),
        vec![
            int32s(findings, |f| f.activity_id),
            text(findings, |f| f.activity_name),
            text(findings, |f| f.category_name),
            int32s(findings, |f| f.category_uid),
            text(findings, |f| f.class_name),
            int32s(findings, |f| f.class_uid),
            Arc::new(finding),
            text(findings, |f| &f.message),
            Arc::new(metadata),
            observables(findings)?,
            text(findings, |f| &f.raw_data),
            text(findings, |f| f.severity),
            int32s(findings, |f| f.severity_id),
            text(findings, |f| f.state),
            int32s(findings, |f| f.state_id),
            text(findings, |f| f.status),
            int64s(findings, |f| f.time),
            text(findings, |f| f.type_name),
            int32s(findings, |f| f.type_uid),
        ],
    )
}

/// The findings as the bytes of one Snappy-compressed Parquet file.
pub(crate) fn parquet_file(findings: &[Finding]) -> Result<Vec<u8>, ParquetFileError> {
    let batch = record_batch(findings)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(concat!("falconer ", env!("CARGO_PKG_VERSION")).to_owned())
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(out)
}
