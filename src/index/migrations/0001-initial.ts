import { sql, type CreateTableBuilder, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../dialect.js';

/**
 * The first schema: patient / study / series / instance (the PS3.4 C.6.1 query levels), per-frame
 * geometry, conflicting re-sends, attribute faults and possible patient mix-ups. Written once for
 * both dialects; only the id column differs. See `schema.ts` for the conventions (text times,
 * 0/1 flags, '' for an absent issuer). Indexes cover the keys C-FIND and QIDO-RS filter on
 * (PS3.4 C.6.1.1, PS3.18 10.6.1.2): patient ID and names, study date, accession number, modality
 * and the UIDs.
 */
export function initialMigration(dialect: SqlDialectName): Migration {
  // SQLite: INTEGER PRIMARY KEY aliases the rowid; AUTOINCREMENT never reuses an id after a delete.
  // PostgreSQL: a bigint identity column.
  const withId = <T extends string>(table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'> =>
    dialect === 'postgres'
      ? table.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      : table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await withId(db.schema.createTable('patients'))
        .addColumn('patient_id', 'text')
        .addColumn('issuer_of_patient_id', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('name_alphabetic', 'text')
        .addColumn('name_ideographic', 'text')
        .addColumn('name_phonetic', 'text')
        .addColumn('sex', 'text')
        .addColumn('birth_date', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('patients_patient_id_issuer_key', ['patient_id', 'issuer_of_patient_id'])
        .execute();
      for (const column of ['name_alphabetic', 'name_ideographic', 'name_phonetic'] as const) {
        await db.schema.createIndex(`patients_${column}_idx`).on('patients').column(column).execute();
      }

      await withId(db.schema.createTable('studies'))
        .addColumn('study_instance_uid', 'text', (c) => c.notNull().unique())
        .addColumn('patient_fk', 'bigint', (c) => c.notNull().references('patients.id'))
        .addColumn('study_id', 'text')
        .addColumn('study_date', 'text')
        .addColumn('study_time', 'text')
        .addColumn('timezone_offset', 'text')
        .addColumn('accession_number', 'text')
        .addColumn('study_description', 'text')
        .addColumn('referring_physician_name_alphabetic', 'text')
        .addColumn('referring_physician_name_ideographic', 'text')
        .addColumn('referring_physician_name_phonetic', 'text')
        .addColumn('requested_procedure_id', 'text')
        .addColumn('scheduled_procedure_step_id', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      for (const column of ['patient_fk', 'study_date', 'accession_number', 'created_at'] as const) {
        await db.schema.createIndex(`studies_${column}_idx`).on('studies').column(column).execute();
      }

      await withId(db.schema.createTable('series'))
        .addColumn('series_instance_uid', 'text', (c) => c.notNull().unique())
        .addColumn('study_fk', 'bigint', (c) => c.notNull().references('studies.id'))
        .addColumn('modality', 'text')
        .addColumn('series_number', 'integer')
        .addColumn('series_date', 'text')
        .addColumn('series_time', 'text')
        .addColumn('series_description', 'text')
        .addColumn('body_part_examined', 'text')
        .addColumn('laterality', 'text')
        .addColumn('performing_physician_name_alphabetic', 'text')
        .addColumn('performing_physician_name_ideographic', 'text')
        .addColumn('performing_physician_name_phonetic', 'text')
        .addColumn('operators_name_alphabetic', 'text')
        .addColumn('operators_name_ideographic', 'text')
        .addColumn('operators_name_phonetic', 'text')
        .addColumn('station_name', 'text')
        .addColumn('manufacturer', 'text')
        .addColumn('manufacturer_model_name', 'text')
        .addColumn('patient_position', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      for (const column of ['study_fk', 'modality'] as const) {
        await db.schema.createIndex(`series_${column}_idx`).on('series').column(column).execute();
      }

      await withId(db.schema.createTable('instances'))
        .addColumn('sop_instance_uid', 'text', (c) => c.notNull().unique())
        .addColumn('series_fk', 'bigint', (c) => c.notNull().references('series.id'))
        .addColumn('sop_class_uid', 'text', (c) => c.notNull())
        .addColumn('transfer_syntax_uid', 'text', (c) => c.notNull())
        .addColumn('instance_number', 'integer')
        .addColumn('image_type', 'text')
        .addColumn('image_laterality', 'text')
        .addColumn('view_position', 'text')
        .addColumn('acquisition_date', 'text')
        .addColumn('acquisition_time', 'text')
        .addColumn('content_date', 'text')
        .addColumn('content_time', 'text')
        .addColumn('lossy', 'integer', (c) => c.notNull().check(isFlag('lossy')))
        .addColumn('lossy_ratio', 'text')
        .addColumn('lossy_method', 'text')
        .addColumn('window_center', 'text')
        .addColumn('window_width', 'text')
        .addColumn('image_position_patient', 'text')
        .addColumn('image_orientation_patient', 'text')
        .addColumn('rows', 'integer')
        .addColumn('columns', 'integer')
        .addColumn('bits_allocated', 'integer')
        .addColumn('bits_stored', 'integer')
        .addColumn('samples_per_pixel', 'integer')
        .addColumn('photometric_interpretation', 'text')
        .addColumn('number_of_frames', 'integer')
        .addColumn('object_key', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('dataset_bytes', 'bigint', (c) => c.notNull())
        .addColumn('file_bytes', 'bigint', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('calling_ae_title', 'text')
        .addColumn('called_ae_title', 'text')
        .addColumn('peer_address', 'text')
        .addColumn('source_via', 'text', (c) => c.notNull())
        .addColumn('specific_character_set', 'text')
        .addColumn('header_patient_id', 'text')
        .addColumn('header_issuer_of_patient_id', 'text')
        .addColumn('header_patient_name_alphabetic', 'text')
        .addColumn('header_patient_name_ideographic', 'text')
        .addColumn('header_patient_name_phonetic', 'text')
        .addColumn('header_patient_sex', 'text')
        .addColumn('header_patient_birth_date', 'text')
        .addColumn('has_faults', 'integer', (c) => c.notNull().check(isFlag('has_faults')))
        .addColumn('record_version_id', 'text')
        .execute();
      for (const column of ['series_fk', 'sop_class_uid', 'object_key', 'received_at', 'has_faults'] as const) {
        await db.schema.createIndex(`instances_${column}_idx`).on('instances').column(column).execute();
      }

      await db.schema
        .createTable('instance_frames')
        .addColumn('instance_fk', 'bigint', (c) => c.notNull().references('instances.id'))
        .addColumn('frame_number', 'integer', (c) => c.notNull())
        .addColumn('image_position_patient', 'text')
        .addColumn('image_orientation_patient', 'text')
        .addPrimaryKeyConstraint('instance_frames_pkey', ['instance_fk', 'frame_number'])
        .execute();

      await withId(db.schema.createTable('instance_conflicts'))
        .addColumn('sop_instance_uid', 'text', (c) => c.notNull())
        .addColumn('current_instance_fk', 'bigint', (c) => c.notNull().references('instances.id'))
        .addColumn('object_key', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('dataset_bytes', 'bigint', (c) => c.notNull())
        .addColumn('transfer_syntax_uid', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('calling_ae_title', 'text')
        .addColumn('peer_address', 'text')
        .addColumn('resolved_at', 'text')
        // The same different bytes sent again are one conflict, not two.
        .addUniqueConstraint('instance_conflicts_sop_sha256_key', ['sop_instance_uid', 'sha256'])
        .execute();
      await db.schema.createIndex('instance_conflicts_current_idx').on('instance_conflicts').column('current_instance_fk').execute();

      await withId(db.schema.createTable('attribute_faults'))
        .addColumn('instance_fk', 'bigint', (c) => c.references('instances.id'))
        .addColumn('conflict_fk', 'bigint', (c) => c.references('instance_conflicts.id'))
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('tag', 'text')
        .addColumn('message', 'text', (c) => c.notNull())
        .addCheckConstraint('attribute_faults_one_owner', exactlyOneOwner())
        .execute();
      await db.schema.createIndex('attribute_faults_instance_idx').on('attribute_faults').column('instance_fk').execute();
      await db.schema.createIndex('attribute_faults_conflict_idx').on('attribute_faults').column('conflict_fk').execute();

      await withId(db.schema.createTable('patient_mismatches'))
        .addColumn('study_fk', 'bigint', (c) => c.notNull().references('studies.id'))
        .addColumn('instance_fk', 'bigint', (c) => c.notNull().references('instances.id'))
        .addColumn('expected_patient_id', 'text')
        .addColumn('expected_issuer_of_patient_id', 'text', (c) => c.notNull())
        .addColumn('received_patient_id', 'text')
        .addColumn('received_issuer_of_patient_id', 'text', (c) => c.notNull())
        .addColumn('detected_at', 'text', (c) => c.notNull())
        .addColumn('resolved_at', 'text')
        .execute();
      await db.schema.createIndex('patient_mismatches_study_idx').on('patient_mismatches').column('study_fk').execute();
      await db.schema.createIndex('patient_mismatches_instance_idx').on('patient_mismatches').column('instance_fk').execute();
    },
    // No down migration: the index of a medical record is never rolled back by dropping tables.
  };
}

function isFlag(column: string) {
  return sql`${sql.ref(column)} in (0, 1)`;
}

function exactlyOneOwner() {
  return sql`(instance_fk is null) <> (conflict_fk is null)`;
}
