"""Static files from the web process itself (WhiteNoise), with a year's caching for hashed names.

collectstatic names each file after a hash of its contents (`bootstrap.min.4f2c….css`), so a
browser may keep it as long as it likes: a new release brings new names. WhiteNoise's own
"forever" is ten years; a year is what HTTP caches are asked to honour (RFC 9111 advises
against more), and the difference is never felt.
"""

from whitenoise.middleware import WhiteNoiseMiddleware

ONE_YEAR = 365 * 24 * 60 * 60


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    FOREVER = ONE_YEAR
