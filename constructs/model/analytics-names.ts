/** Names the dbt construct and the dbt target agree on (the target reads only the model). */

/** The env var the rendered profile reads the lakeFS ref from (`{{ env_var('DFP_LAKEFS_REF') }}`). */
export const DBT_REF_ENV = 'DFP_LAKEFS_REF';

/** The ConfigMaps the dbt target renders for a project, and a DbtStep mounts. */
export function dbtConfigMaps(project: string): { profile: string; sources: string } {
  const base = `dbt-${project.replace(/_/g, '-')}`;
  return { profile: `${base}-profile`, sources: `${base}-sources` };
}
