"""Settings: one typed schema (schema.py), its validator (fields.py), the TOML file
(storage.py) and the provider in effect (provider.py). Import from here.
"""

from kibitz.core.settings.fields import FieldInfo, FieldType, InvalidSettingError, meta
from kibitz.core.settings.provider import (
    ENV_PROVIDER_NAME,
    KEYLESS_KINDS,
    KIND_BASE_URLS,
    OPENAI_BASE_URL,
    KeySource,
    ProviderChoice,
    choice_for_profile,
    effective_provider,
)
from kibitz.core.settings.schema import (
    MAX_CHOICES,
    SCHEMA_VERSION,
    ChatSettings,
    ProviderKind,
    ProviderProfile,
    ProvidersSettings,
    RequestDefaults,
    Settings,
    SettingSpec,
    UiSettings,
    setting_specs,
    spec_for,
)
from kibitz.core.settings.storage import (
    MIGRATIONS,
    LoadResult,
    Migration,
    load_settings,
    migrate,
    save_settings,
    to_dict,
)

__all__ = [
    "ENV_PROVIDER_NAME",
    "KEYLESS_KINDS",
    "KIND_BASE_URLS",
    "MAX_CHOICES",
    "MIGRATIONS",
    "OPENAI_BASE_URL",
    "SCHEMA_VERSION",
    "ChatSettings",
    "FieldInfo",
    "FieldType",
    "InvalidSettingError",
    "KeySource",
    "LoadResult",
    "Migration",
    "ProviderChoice",
    "ProviderKind",
    "ProviderProfile",
    "ProvidersSettings",
    "RequestDefaults",
    "SettingSpec",
    "Settings",
    "UiSettings",
    "choice_for_profile",
    "effective_provider",
    "load_settings",
    "meta",
    "migrate",
    "save_settings",
    "setting_specs",
    "spec_for",
    "to_dict",
]
