"""China's export-licence review: the applications (:mod:`.applications`), the reviewers' queue
(:mod:`.queue`) and the review itself, with its policy regime and outcomes (:mod:`.review`)."""
