-- One row per sample and capture: the label and the static features training reads.
select
    sample_id || ':' || capture as sample_key,
    sample_id,
    capture,
    event_timestamp,
    is_malware,
    case when is_malware = 1 then coalesce(malware_family, 'unknown') else 'benign' end as malware_family,
    api_level,
    permission_count,
    detection_ratio,
    first_seen
from {{ ref('stg_kronodroid__samples') }}
