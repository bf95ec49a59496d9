"""Settings: one typed schema (schema.py), its validator (fields.py), the TOML file
(storage.py) and the provider in effect (provider.py). Import from here.

`import kibitz.core.settings` is cheap: each name loads its module when first used. The app's
first frame reads only the [ui] section (early_ui.py); the schema's ~30 dataclasses (~12 ms of
imports) load after it.
"""

from typing import TYPE_CHECKING

from kibitz.core.lazy_names import lazy_names

if TYPE_CHECKING:
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

_HOME = {
    "FieldInfo": "fields",
    "FieldType": "fields",
    "InvalidSettingError": "fields",
    "meta": "fields",
    "ENV_PROVIDER_NAME": "provider",
    "KEYLESS_KINDS": "provider",
    "KIND_BASE_URLS": "provider",
    "OPENAI_BASE_URL": "provider",
    "KeySource": "provider",
    "ProviderChoice": "provider",
    "choice_for_profile": "provider",
    "effective_provider": "provider",
    "MAX_CHOICES": "schema",
    "SCHEMA_VERSION": "schema",
    "ChatSettings": "schema",
    "ProviderKind": "schema",
    "ProviderProfile": "schema",
    "ProvidersSettings": "schema",
    "RequestDefaults": "schema",
    "Settings": "schema",
    "SettingSpec": "schema",
    "UiSettings": "schema",
    "setting_specs": "schema",
    "spec_for": "schema",
    "MIGRATIONS": "storage",
    "LoadResult": "storage",
    "Migration": "storage",
    "load_settings": "storage",
    "migrate": "storage",
    "save_settings": "storage",
    "to_dict": "storage",
}


__getattr__ = lazy_names(__name__, _HOME, globals())


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
