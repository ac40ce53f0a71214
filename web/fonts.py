"""Font faces for every Kefu page (shopper chat, widget, staff console): bold text in one typeface.

Gradio's theme declares "Source Sans Pro" and "IBM Plex Mono" at weights 400 and 600, but the
600 ("SemiBold") files in the gradio wheel are subsets of a few kilobytes: most letters are
missing, so bold text (``**…**``, ``<b>``, table headers, buttons) was drawn letter by letter from
two fonts — a "B" from Source Sans, the rest from the system's DejaVu Sans Bold, larger and
wider. The full Bold files ship beside them; these faces use them for every weight from 550 up,
under family names of their own (so the theme's faces cannot win), and the pages' ``--font`` /
``--font-mono`` point at them. The URLs are relative to the page, as the theme's own are: each
mount (``/``, ``/widget/``, ``/staff/``) serves ``static/fonts/``.
"""

_FACES = (
    ("Kefu Sans", "SourceSansPro/SourceSansPro-Regular", "100 549"),
    ("Kefu Sans", "SourceSansPro/SourceSansPro-Bold", "550 1000"),
    ("Kefu Mono", "IBMPlexMono/IBMPlexMono-Regular", "100 549"),
    ("Kefu Mono", "IBMPlexMono/IBMPlexMono-Bold", "550 1000"),
)

FONT_CSS = "".join(
    f"@font-face {{font-family:'{family}';src:url('static/fonts/{file}.woff2') format('woff2');"
    f"font-weight:{weights};font-style:normal;font-display:swap}}\n"
    for family, file, weights in _FACES
) + (
    ":root, .gradio-container {--font:'Kefu Sans','Source Sans Pro',ui-sans-serif,system-ui,sans-serif;"
    "--font-mono:'Kefu Mono','IBM Plex Mono',ui-monospace,Consolas,monospace}\n"
)
