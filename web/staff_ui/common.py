"""What every tab of the staff console shares: the Try-it session prefix, HTML escaping, who is signed in.

Pure helpers: no gradio import, so the formatting can be tested without building a console.
"""

import html

# Sessions started from the Try-it tab carry this prefix so that Analytics can leave them out.
TRY_PREFIX = "staff-try-"


def esc(value) -> str:
    """``value`` as text safe inside HTML or markdown: ``esc("<b>")`` → ``"&lt;b&gt;"``, ``esc(None)`` → ``""``."""
    return html.escape(str(value if value is not None else ""))


def staff_name(request) -> str:
    """The signed-in staff member (``gr.Request.username``, set by the HTTP Basic guard); ``"staff"`` without one."""
    return (getattr(request, "username", None) or "staff") if request else "staff"
