"""The chain verifier's older address: `python3 -m cadres.verify_chain URL` runs
rankings/verify_chain.py (standard library only; see there). A thin alias by name, so
that cadres imports nothing of the rankings."""

import runpy

if __name__ == "__main__":
    runpy.run_module("rankings.verify_chain", run_name="__main__", alter_sys=True)
