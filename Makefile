# The two commands the README promises, plus conveniences.
.PHONY: run test bench package

run:        ## build a release binary and serve on embedded defaults (./data, 127.0.0.1:8080)
	scripts/run.sh

test:       ## install what the tests need and run all of them
	scripts/test.sh

bench:      ## API, engine, storage and runtime benchmarks (release build; runtime with the DBOS/LangGraph peers)
	swift build -c release --product scaicore-appliance
	.build/release/scaicore-appliance bench api
	.build/release/scaicore-appliance bench engine
	.build/release/scaicore-appliance bench storage
	.build/release/scaicore-appliance bench runtime --peers

package:    ## release tarball for air-gapped installs, in dist/
	packaging/build-tarball.sh
