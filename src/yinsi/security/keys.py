"""Keys of field protection: key rings, where keys come from, and new keys (PIPL Art. 51).

Two rings, never sharing a key (:class:`KeySet`):

- the **encryption** ring holds key-encryption keys (KEKs) that wrap the data keys of
  :class:`yinsi.security.envelope.FieldCipher`;
- the **blind-index** ring holds the HMAC keys of :class:`yinsi.security.blind_index.BlindIndex`.

Each key is 32 random bytes (AES-256 / HMAC-SHA256) with a key id (``kid``: 1-32 of
``A-Z a-z 0-9 _ -``) and a state. Exactly one key per ring is **active**: it encrypts (or
computes new indexes). **Retired** keys only decrypt (or find rows not yet recomputed);
a key being rolled out is added as retired first, so every node can read its tokens
before any node writes them, then activated.

Rotation, without downtime (``yinsi keys rotate``)::

    keys = source.load()
    keys = keys.rotate_encryption("k2")                   # new k2 active, k1 retired
    FileKeySource(path).save(keys)                        # every node reloads
    ... a background job calls FieldCipher.rewrap on every token not under k2 ...
    keys = keys.drop_encryption("k1")                      # once no token names k1

Sources (:class:`KeySource`): :class:`EnvKeySource` reads two variables,
:class:`FileKeySource` a JSON file of mode 0600. Keys are never printed: ``repr`` hides
them and no error message carries one.

The keys and rings live in :mod:`.key_ring`, the sources in :mod:`.key_sources`; this
module re-exports both, so ``from yinsi.security.keys import …`` names every one of them.
"""

from yinsi.security.key_ring import (
    KEY_BYTES,
    KID_PATTERN,
    Key,
    KeyPurpose,
    KeyRing,
    KeySet,
    KeyState,
    decode_key,
    generate_key,
)
from yinsi.security.key_sources import (
    BLIND_INDEX_KEYS_VARIABLE,
    FILE_FORMAT,
    KEYS_VARIABLE,
    EnvKeySource,
    FileKeySource,
    KeySource,
)

__all__ = [
    "BLIND_INDEX_KEYS_VARIABLE",
    "FILE_FORMAT",
    "KEYS_VARIABLE",
    "KEY_BYTES",
    "KID_PATTERN",
    "EnvKeySource",
    "FileKeySource",
    "Key",
    "KeyPurpose",
    "KeyRing",
    "KeySet",
    "KeySource",
    "KeyState",
    "decode_key",
    "generate_key",
]
