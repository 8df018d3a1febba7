// tally-sim: see docs/STUDY.md ("tally-sim"). Placeholder until the scenario format lands.
int main() { return 2; }
