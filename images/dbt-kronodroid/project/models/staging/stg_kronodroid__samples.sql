-- Every Kronodroid sample, emulator and real-device captures alike, with where it was captured.
select
    sample_id,
    event_timestamp,
    'emulator' as capture,
    is_malware,
    malware_family,
    api_level,
    permission_count,
    detection_ratio,
    first_seen
from {{ source('stg_kronodroid', 'emulator_samples') }}

union all

select
    sample_id,
    event_timestamp,
    'real_device' as capture,
    is_malware,
    malware_family,
    api_level,
    permission_count,
    detection_ratio,
    first_seen
from {{ source('stg_kronodroid', 'real_device_samples') }}
