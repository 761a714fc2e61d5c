from conveyor_processor.worker import main

main()
