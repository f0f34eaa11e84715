"""How typed and planned text is prepared for the screen."""
from warroom.widgets.text import reflow


def test_reflow_joins_hand_wrapped_lines_and_keeps_meaningful_breaks():
    written = ("Cut the release and let CI build the images of\n"
               "checkout-api and the storefront.\n"
               "Done: the digests are posted\n"
               "in the channel; then\n"
               "\n"
               "- stop the batch\n"
               "  jobs\n"
               "2) check the queue")
    assert reflow(written) == ("Cut the release and let CI build the images of checkout-api and the storefront.\n"
                               "Done: the digests are posted in the channel; then\n"
                               "\n"
                               "- stop the batch jobs\n"
                               "2) check the queue")


def test_reflow_leaves_single_lines_and_empty_text_alone():
    assert reflow("") == ""
    assert reflow("one line") == "one line"

