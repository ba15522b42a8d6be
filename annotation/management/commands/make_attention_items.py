from annotation.degradations import DEGRADATIONS
from annotation.management.base import HyokaCommand
from annotation.agreement_selectors import campaign_for_report
from annotation.services.quality import attention_items_make


class Command(HyokaCommand):
    help = (
        "Make attention items: degraded copies of a share of the campaign's items still outside batches, mixed "
        "unmarked into the batch of their original when batches are cut (so whoever rates a copy rates its "
        "original too). Degradations: splice (a phrase of another response in the middle, its length growing with "
        "the response's, doubled for Japanese), truncate (the second half dropped), shuffle (sentences reordered)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Slug of an existing campaign.")
        parser.add_argument("--share", type=float, required=True, help="Share of the items to copy, e.g. 0.1.")
        parser.add_argument("--degradation", choices=DEGRADATIONS, default="splice")
        parser.add_argument("--seed", type=int, help="Seed of the choice and the splices (default: random).")

    def handle(self, *args, campaign, share, degradation, seed, **options):
        made = attention_items_make(campaign=campaign_for_report(campaign), share=share, how=degradation, seed=seed)
        self.stdout.write(f"{len(made)} attention items made in {campaign}")
