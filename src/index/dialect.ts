/** The two databases the index runs on; everything dialect-specific switches on this. */
export type SqlDialectName = 'sqlite' | 'postgres';
